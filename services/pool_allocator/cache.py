"""Answers for users who already hold a slot, kept in memory so a repeat `pool.key.get` touches no database.

Every change that affects a user or a key drops the affected entries here and, through
`pool.cache.invalidate`, in every other allocator process. A TTL bounds what a lost broadcast could cost.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class CachedAccess:
    pool_key_id: str
    devices: frozenset[str]
    expires_at: float


class AccessCache:
    def __init__(self, ttl_seconds: float, clock=time.monotonic) -> None:
        self.ttl = ttl_seconds
        self.clock = clock
        self._users: dict[str, CachedAccess] = {}
        self._keys: dict[str, str] = {}  # pool key id → decrypted key

    def get(self, user_id: str, device_id: str) -> tuple[CachedAccess, str] | None:
        entry = self._users.get(user_id)
        if entry is None or device_id not in entry.devices:
            return None
        if entry.expires_at <= self.clock():
            del self._users[user_id]
            return None
        key = self._keys.get(entry.pool_key_id)
        return None if key is None else (entry, key)

    def put(self, user_id: str, pool_key_id: str, key: str, devices: Iterable[str]) -> None:
        self._keys[pool_key_id] = key
        self._users[user_id] = CachedAccess(pool_key_id, frozenset(devices), self.clock() + self.ttl)

    def key(self, pool_key_id: str) -> str | None:
        return self._keys.get(pool_key_id)

    def drop_users(self, user_ids: Iterable[str]) -> None:
        for user_id in user_ids:
            self._users.pop(user_id, None)

    def drop_keys(self, pool_key_ids: Iterable[str]) -> None:
        dropped = set(pool_key_ids)
        for pool_key_id in dropped:
            self._keys.pop(pool_key_id, None)
        for user_id in [u for u, e in self._users.items() if e.pool_key_id in dropped]:
            del self._users[user_id]

    def clear(self) -> None:
        self._users.clear()
        self._keys.clear()

    def __len__(self) -> int:
        return len(self._users)
