"""Shared caches in NATS KV: typed values under a TTL, shared by every process of every service.

A cache is never the only copy of anything, so every failure (NATS down, a value from an older format)
is a miss, and a failed write is forgotten.
"""

from __future__ import annotations

import re
from typing import Generic, TypeVar

import msgspec
import nats.errors
import nats.js.errors
from nats.js.api import KeyValueConfig
from nats.js.kv import KeyValue

from libs.telemetry import get_logger

from .client import Bus

T = TypeVar("T")
log = get_logger("libs.bus.kv")
_UNSAFE = re.compile(r"[^-/_=.a-zA-Z0-9]")


def kv_key(*parts: object) -> str:
    """A key NATS accepts, from parts joined by dots (anything else in a part becomes `_`)."""
    return ".".join(_UNSAFE.sub("_", str(part)) or "_" for part in parts)


class KeyValueCache(Generic[T]):
    def __init__(self, bus: Bus, bucket: str, ttl_seconds: float, value_type: type[T]) -> None:
        self.bus = bus
        self.bucket = bucket
        self.ttl = ttl_seconds
        self._decoder = msgspec.json.Decoder(value_type)
        self._encoder = msgspec.json.Encoder()
        self._kv: KeyValue | None = None

    async def _store(self) -> KeyValue:
        if self._kv is None:
            try:
                self._kv = await self.bus.js.key_value(self.bucket)
            except nats.js.errors.BucketNotFoundError:
                config = KeyValueConfig(bucket=self.bucket, ttl=self.ttl, history=1, replicas=self.bus.replicas)
                self._kv = await self.bus.js.create_key_value(config)
        return self._kv

    async def get(self, key: str) -> T | None:
        if not self.bus.connected:  # a miss now, not one after the request's timeout
            return None
        try:
            entry = await (await self._store()).get(key)
        except nats.js.errors.KeyNotFoundError:
            return None
        except (nats.errors.Error, TimeoutError, OSError) as error:
            log.warning("cache unavailable", bucket=self.bucket, error=type(error).__name__)
            return None
        if not entry.value:
            return None
        try:
            return self._decoder.decode(entry.value)
        except msgspec.DecodeError:
            return None  # written by another version; it will be replaced

    async def put(self, key: str, value: T) -> None:
        if not self.bus.connected:
            return
        try:
            await (await self._store()).put(key, self._encoder.encode(value))
        except (nats.errors.Error, TimeoutError, OSError) as error:
            log.warning("cache not written", bucket=self.bucket, error=type(error).__name__)

    async def items(self) -> dict[str, T]:
        """Every live entry (NATS away, or the bucket empty: none)."""
        if not self.bus.connected:
            return {}
        store = await self._store()
        try:
            keys = await store.keys()
        except nats.js.errors.NoKeysError:
            return {}
        found = {}
        for key in keys:
            value = await self.get(key)
            if value is not None:
                found[key] = value
        return found

    async def delete(self, key: str) -> None:
        if not self.bus.connected:
            return
        try:
            await (await self._store()).delete(key)
        except (nats.errors.Error, TimeoutError, OSError) as error:
            log.warning("cache entry not deleted", bucket=self.bucket, error=type(error).__name__)
