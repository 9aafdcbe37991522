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
from libs.errors import BadInput
from libs.schemas import PoolKeyReply, PoolKeyRequest
from libs.telemetry import get_logger

from .access import Refusal, check_device, check_subscription
from .activity import ActivityRecorder
from .cache import AccessCache
from .config import PoolConfig
from .repository import allocation
from .retry import retrying_transaction

log = get_logger(__name__)


class InvalidUserId(BadInput):
    """A user id that is not a UUID: the caller's mistake, never a lookup."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="userId", error="invalid_user_id")


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
        async def admit(conn: asyncpg.Connection) -> tuple[PoolKeyReply | None, allocation.HeldSlot | None, set[str]]:
            """Under the user's lock: the rules, and the device counted. A usable slot held is kept."""
            user = await allocation.lock_user(conn, user_id, self.config.device_window_days)
            if user is None:
                return _refused(Refusal("unknown_user", "unknown user"), 0), None, set()
            refusal = check_subscription(user.subscription, user.now)
            devices = user.recent_devices
            if refusal is None:
                refusal = check_device(devices, device_id, self.config.device_limit, self.config.device_window_days)
            if refusal is not None:
                return _refused(refusal, len(devices)), None, devices
            held = user.held
            usable = held if held is not None and held.usable else None
            await allocation.record_device(conn, user_id, device_id, usable)
            return None, held, devices | {device_id}

        refused, held, devices = await retrying_transaction(self.db, admit)
        if refused is not None:
            return refused
        slot = held
        if held is None or not held.usable:
            slot = await retrying_transaction(
                self.db, lambda conn: allocation.take_slot(conn, user_id, device_id), transaction=False
            )
            if slot is None:
                message = (
                    "your key is unavailable and no other pool has room; try again later"
                    if held is not None
                    else "no room in any pool: every key is full or unavailable"
                )
                return _refused(Refusal("no_capacity", message), len(devices))
            if held is not None and held.pool_key_id != slot.pool_key_id:
                log.info("user moved to another pool", from_pool=str(held.pool_key_id), to_pool=str(slot.pool_key_id))
        key = self.cache.key(str(slot.pool_key_id)) or self.box.decrypt(slot.encrypted_key)
        self.cache.put(str(user_id), str(slot.pool_key_id), key, devices)
        return PoolKeyReply(
            allowed=True, pool_key=key, pool_key_id=str(slot.pool_key_id), device_count=len(devices), message="ok"
        )


def _refused(refusal: Refusal, device_count: int) -> PoolKeyReply:
    return PoolKeyReply(allowed=False, device_count=device_count, message=refusal.message)
