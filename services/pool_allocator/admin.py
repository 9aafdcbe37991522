"""The admin's operations on keys and users, shared by the HTTP API and the command line.

Keys are encrypted before they are stored and masked whenever shown; passwords are hashed with bcrypt
off the event loop. Every change that affects an answer drops the cached answers it affects.
"""

from __future__ import annotations

import asyncio
from uuid import UUID

import asyncpg
import bcrypt
import msgspec

from libs.crypto import SecretBox, mask
from libs.errors import BadInput, Conflict, Invalid, NotFound
from libs.schemas.pool_admin import (
    AccountView,
    DeviceView,
    KeyCreate,
    KeyUpdate,
    KeyView,
    SlotView,
    SubscriptionView,
    UserCreate,
    UserListItem,
    UserPage,
    UserUpdate,
    UserView,
    has,
)

from .config import PoolConfig
from .invalidation import Invalidator
from .repository import keys, users


def parse_id(raw: str, what: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        raise BadInput(f"{what} must be a UUID", error="invalid_id") from None


BCRYPT_MAX_BYTES = 72


def hash_password(password: str, rounds: int = 12) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


class Admin:
    def __init__(self, db: asyncpg.Pool, box: SecretBox, config: PoolConfig, invalidator: Invalidator) -> None:
        self.db = db
        self.box = box
        self.config = config
        self.invalidator = invalidator

    # keys

    def _key_view(self, row: keys.KeyRow) -> KeyView:
        values = msgspec.structs.asdict(row)
        values["id"] = str(row.id)
        values["api_key"] = mask(self.box.decrypt(row.api_key)) or ""
        return KeyView(**values)

    async def add_key(self, body: KeyCreate) -> KeyView:
        async with self.db.acquire() as conn, conn.transaction():
            try:
                pool_key_id = await keys.insert(
                    conn,
                    encrypted_key=self.box.encrypt(body.api_key),
                    fingerprint=self.box.fingerprint(body.api_key),
                    label=body.label,
                    priority=body.priority,
                    max_user_slots=body.max_user_slots,
                    max_concurrent_streams=body.max_concurrent_streams,
                )
            except keys.DuplicateKey:
                raise Conflict("this TorBox key is already in the pool", field="apiKey") from None
            return self._key_view(await keys.get(conn, pool_key_id))

    async def list_keys(self) -> list[KeyView]:
        return [self._key_view(row) for row in await keys.list_all(self.db)]

    async def key(self, pool_key_id: UUID) -> KeyView:
        row = await keys.get(self.db, pool_key_id)
        if row is None:
            raise NotFound("no such pool key")
        return self._key_view(row)

    async def update_key(self, pool_key_id: UUID, body: KeyUpdate) -> KeyView:
        changes: dict[str, object] = {}
        for name in ("label", "priority", "max_concurrent_streams", "is_active"):
            value = getattr(body, name)
            if has(value):
                changes[name] = value
        if has(body.api_key):
            changes["api_key"] = self.box.encrypt(body.api_key)
            changes["api_key_fingerprint"] = self.box.fingerprint(body.api_key)
        if has(body.status):
            changes["status"] = body.status
            changes["status_reason"] = "disabled by an admin" if body.status == "disabled" else None
            if body.status == "healthy":
                changes["consecutive_failures"] = 0
        async with self.db.acquire() as conn, conn.transaction():
            pool = await keys.lock(conn, pool_key_id)
            if pool is None:
                raise NotFound("no such pool key")
            if has(body.max_user_slots) and body.max_user_slots != pool.max_user_slots:
                await self._resize(conn, pool, body.max_user_slots)
                changes["max_user_slots"] = body.max_user_slots
            try:
                await keys.update(conn, pool_key_id, changes)
            except keys.DuplicateKey:
                raise Conflict("this TorBox key is already in the pool", field="apiKey") from None
            view = self._key_view(await keys.get(conn, pool_key_id))
        await self.invalidator.keys([pool_key_id])
        return view

    async def _resize(self, conn: asyncpg.Connection, pool: keys.LockedKey, new_max: int) -> None:
        old_max = pool.max_user_slots
        if new_max > old_max:
            await keys.add_slots(conn, pool.id, old_max + 1, new_max)
            return
        highest = await keys.highest_occupied_slot(conn, pool.id)
        if highest > new_max:
            raise Conflict(f"slot {highest} is in use: maxUserSlots cannot go below {highest}", field="maxUserSlots")
        await keys.remove_slots_above(conn, pool.id, new_max)

    # users

    async def add_user(self, body: UserCreate) -> UserView:
        if len(body.password.encode()) > BCRYPT_MAX_BYTES:  # bcrypt refuses more (and older ones cut it off)
            raise Invalid(f"password must be at most {BCRYPT_MAX_BYTES} bytes", field="password")
        password_hash = await asyncio.to_thread(hash_password, body.password, self.config.bcrypt_rounds)
        async with self.db.acquire() as conn, conn.transaction():
            try:
                user_id = await users.insert(
                    conn,
                    email=body.email,
                    password_hash=password_hash,
                    sub_type=body.sub_type,
                    sub_status=body.sub_status,
                    trial_days=body.trial_days,
                )
            except users.DuplicateEmail:
                raise Conflict("a user with this email exists", field="email") from None
        return await self.user(user_id)

    async def user(self, user_id: UUID) -> UserView:
        row = await users.get(self.db, user_id)
        if row is None:
            raise NotFound("no such user")
        slot = await users.slot(self.db, user_id)
        devices = await users.devices(self.db, user_id, self.config.device_window_days)
        subscription = None
        if row.sub_type is not None:
            subscription = SubscriptionView(
                sub_type=row.sub_type,
                sub_status=row.sub_status,
                trial=row.trial,
                trial_startdate=row.trial_startdate,
                trial_enddate=row.trial_enddate,
            )
        return UserView(
            uuid=str(row.uuid),
            email=row.email,
            created_at=row.created_at,
            accessed_at=row.accessed_at,
            subscription=subscription,
            slot=None
            if slot is None
            else SlotView(**{**msgspec.structs.asdict(slot), "pool_key_id": str(slot.pool_key_id)}),
            devices=[
                DeviceView(device_id=d.device_id, last_used_at=d.last_used_at, counts_toward_limit=d.counts)
                for d in devices
            ],
            device_limit=self.config.device_limit,
        )

    async def update_user(self, user_id: UUID, body: UserUpdate) -> UserView:
        if has(body.trial) and body.trial and not has(body.trial_days):
            raise Invalid("trialDays is required to start a trial", error="invalid_body", field="trialDays")
        changes = {
            name: getattr(body, name)
            for name in ("sub_type", "sub_status", "trial_days", "trial")
            if has(getattr(body, name))
        }
        async with self.db.acquire() as conn, conn.transaction():
            if not await users.update_subscription(conn, user_id, changes):
                raise NotFound("no such user")
        await self.invalidator.users([user_id])
        return await self.user(user_id)

    async def list_users(self, search: str, page: int, page_size: int) -> UserPage:
        total, rows = await users.page(
            self.db, search, page_size, (page - 1) * page_size, self.config.device_window_days
        )
        items = [
            UserListItem(**{
                **msgspec.structs.asdict(row), "uuid": str(row.uuid),
                "pool_key_id": str(row.pool_key_id) if row.pool_key_id else None,
            })
            for row in rows
        ]  # fmt: skip
        return UserPage(page=page, page_size=page_size, total=total, users=items)

    async def delete_user(self, user_id: UUID) -> None:
        """The user gone: its live streams end, its slot is freed, its uuid stops working at once."""
        async with self.db.acquire() as conn, conn.transaction():
            pools = await users.delete(conn, user_id)
        if pools is None:
            raise NotFound("no such user")
        await self.invalidator.users([user_id])
        await self.invalidator.keys(pools)

    async def delete_key(self, pool_key_id: UUID) -> None:
        """The key gone; its users are given another key at their next request (as when it is disabled)."""
        async with self.db.acquire() as conn, conn.transaction():
            holders = await keys.delete(conn, pool_key_id)
        if holders is None:
            raise NotFound("no such pool key")
        await self.invalidator.keys([pool_key_id])
        await self.invalidator.users(holders)

    async def forget_devices(self, user_id: UUID, device_id: str | None = None) -> UserView:
        """One device of the user's, or all of them, no longer counted towards the device limit."""
        if await users.get(self.db, user_id) is None:
            raise NotFound("no such user")
        if not await users.forget_devices(self.db, user_id, device_id) and device_id is not None:
            raise NotFound("no such device for this user")
        await self.invalidator.users([user_id])
        return await self.user(user_id)

    async def account(self, user_id: UUID) -> AccountView:
        """What a user sees of their own account."""
        view = await self.user(user_id)
        return AccountView(uuid=view.uuid, email=view.email, devices=view.devices, device_limit=view.device_limit)
