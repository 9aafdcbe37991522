"""Dropping cached answers here and in every other allocator process."""

from __future__ import annotations

from collections.abc import Iterable

from libs.bus import Bus
from libs.schemas import POOL_CACHE_INVALIDATE, CacheInvalidation
from libs.telemetry import get_logger

from .cache import AccessCache

log = get_logger(__name__)


class Invalidator:
    def __init__(self, cache: AccessCache, bus: Bus | None) -> None:
        self.cache = cache
        self.bus = bus

    async def users(self, user_ids: Iterable[object]) -> None:
        await self._send(CacheInvalidation(user_ids=[str(u) for u in user_ids]))

    async def keys(self, pool_key_ids: Iterable[object]) -> None:
        await self._send(CacheInvalidation(pool_key_ids=[str(k) for k in pool_key_ids]))

    async def _send(self, message: CacheInvalidation) -> None:
        if not message.user_ids and not message.pool_key_ids:
            return
        self.apply(message)
        if self.bus is not None and self.bus.connected:
            await self.bus.broadcast(POOL_CACHE_INVALIDATE, message)
        elif self.bus is not None:
            # Other processes cannot hear us now; their cache TTL bounds how long they may answer from it.
            log.warning("cache invalidation not broadcast: NATS is not connected")

    def apply(self, message: CacheInvalidation) -> None:
        if message.everything:
            self.cache.clear()
            return
        self.cache.drop_users(message.user_ids)
        self.cache.drop_keys(message.pool_key_ids)

    async def on_broadcast(self, message: CacheInvalidation) -> None:
        self.apply(message)
