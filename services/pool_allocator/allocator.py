"""`pool.key.get`: may this user have a key now, and which one.

A repeat request for a user who holds a slot, from a device already counted, is answered from memory.
Anything else runs one transaction: the user's row is locked first (so one user's devices are counted one
at a time), then the subscription and device rules, then the user's slot is kept, or moved off a pool that
is failing or disabled, or a new one is taken: healthy pools before degraded ones, highest priority first,
lowest free slot.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from libs.crypto import SecretBox
from libs.schemas import PoolKeyReply, PoolKeyRequest
from libs.telemetry import get_logger

from .access import Refusal, check_device, check_subscription
from .activity import ActivityRecorder
from .cache import AccessCache
from .config import PoolConfig
from .repository import allocation
from .retry import retrying_transaction

log = get_logger(__name__)


class InvalidUserId(ValueError):
    pass


def parse_user_id(raw: str) -> UUID:
    try:
        return UUID(raw)
    except (ValueError, AttributeError, TypeError):
        raise InvalidUserId("userId must be a UUID") from None


class Allocator:
    def __init__(
        self,
        db: asyncpg.Pool,
        box: SecretBox,
        config: PoolConfig,
        cache: AccessCache,
        activity: ActivityRecorder,
    ) -> None:
        self.db = db
        self.box = box
        self.config = config
        self.cache = cache
        self.activity = activity

    async def get_key(self, request: PoolKeyRequest) -> PoolKeyReply:
        user_id = parse_user_id(request.user_id)
        device_id = request.device_id
        if not device_id or len(device_id) > 128:
            return _refused(Refusal("bad_device", "deviceId must be 1 to 128 characters"), 0)
        cached = self.cache.get(str(user_id), device_id)
        if cached is not None:
            entry, key = cached
            self.activity.touch(str(user_id), device_id)
            return PoolKeyReply(
                allowed=True,
                pool_key=key,
                pool_key_id=entry.pool_key_id,
                device_count=len(entry.devices),
                message="ok",
            )
        return await self._decide(user_id, device_id)

    async def _decide(self, user_id: UUID, device_id: str) -> PoolKeyReply:
        async def attempt(conn: asyncpg.Connection) -> tuple[PoolKeyReply, allocation.HeldSlot | None, set[str]]:
            exists, subscription = await allocation.lock_user(conn, user_id)
            if not exists:
                return _refused(Refusal("unknown_user", "unknown user"), 0), None, set()
            now = await allocation.now(conn)
            refusal = check_subscription(subscription, now)
            devices = await allocation.recent_devices(conn, user_id, self.config.device_window_days)
            if refusal is None:
                refusal = check_device(devices, device_id, self.config.device_limit, self.config.device_window_days)
            if refusal is not None:
                return _refused(refusal, len(devices)), None, devices
            held = await allocation.held_slot(conn, user_id)
            slot = held if held is not None and held.usable else await self._take(conn, user_id, held)
            if slot is None:
                reason = (
                    Refusal("no_capacity", "your key is unavailable and no other pool has room; try again later")
                    if held is not None
                    else Refusal("no_capacity", "no room in any pool: every key is full or unavailable")
                )
                return _refused(reason, len(devices)), None, devices
            await allocation.record_device(conn, user_id, device_id, slot)
            devices.add(device_id)
            reply = PoolKeyReply(
                allowed=True, pool_key_id=str(slot.pool_key_id), device_count=len(devices), message="ok"
            )
            return reply, slot, devices

        reply, slot, devices = await retrying_transaction(self.db, attempt)
        if slot is None:
            return reply
        key = self.cache.key(str(slot.pool_key_id)) or self.box.decrypt(slot.encrypted_key)
        self.cache.put(str(user_id), str(slot.pool_key_id), key, devices)
        reply.pool_key = key
        return reply

    async def _take(
        self, conn: asyncpg.Connection, user_id: UUID, held: allocation.HeldSlot | None
    ) -> allocation.HeldSlot | None:
        """A slot in the first open pool; a user moving off an unusable pool keeps the old slot unless a new
        one is really taken (a savepoint undoes the release otherwise)."""
        exclude = held.pool_key_id if held is not None else None
        for pool_key_id in await allocation.candidate_pools(conn, exclude):
            if held is None:
                slot = await allocation.take_slot(conn, pool_key_id, user_id)
                if slot is not None:
                    return slot
                continue
            try:
                async with conn.transaction():
                    await allocation.release_slot(conn, held)  # one slot per user: free it first
                    slot = await allocation.take_slot(conn, pool_key_id, user_id)
                    if slot is None:
                        raise _PoolFull
                log.info("user moved to another pool", from_pool=str(held.pool_key_id), to_pool=str(pool_key_id))
                return slot
            except _PoolFull:
                continue
        return None


class _PoolFull(Exception):
    pass


def _refused(refusal: Refusal, device_count: int) -> PoolKeyReply:
    return PoolKeyReply(allowed=False, device_count=device_count, message=refusal.message)
