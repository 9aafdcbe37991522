"""A bounded map for everything a service keeps in memory: at most `max_items` entries (the least recently
used go first) and, when `ttl_seconds` is set, none older than that. An in-process dict that grows with
its users' input is how a home server runs out of memory in a month."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_MISSING = object()


class BoundedCache(Generic[K, V]):
    def __init__(
        self, max_items: int, ttl_seconds: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_items < 1:
            raise ValueError("a cache holds at least one item")
        self.max_items = max_items
        self.ttl = ttl_seconds
        self.clock = clock
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()  # key → (expires at, value)

    def get(self, key: K, default: V | None = None) -> V | None:
        found = self._items.get(key, _MISSING)
        if found is _MISSING:
            return default
        expires_at, value = found  # type: ignore[misc]
        if expires_at <= self.clock():
            del self._items[key]
            return default
        self._items.move_to_end(key)
        return value

    def set(self, key: K, value: V, ttl_seconds: float | None = None) -> None:
        ttl = ttl_seconds if ttl_seconds is not None else self.ttl
        self._items[key] = (self.clock() + ttl if ttl is not None else float("inf"), value)
        self._items.move_to_end(key)
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)

    def pop(self, key: K, default: V | None = None) -> V | None:
        value = self.get(key, _MISSING)  # type: ignore[arg-type]
        if value is _MISSING:
            return default
        del self._items[key]
        return value

    def setdefault(self, key: K, factory: Callable[[], V]) -> V:
        value = self.get(key, _MISSING)  # type: ignore[arg-type]
        if value is _MISSING:
            value = factory()
            self.set(key, value)
        return value  # type: ignore[return-value]

    def __contains__(self, key: object) -> bool:
        return self.get(key, _MISSING) is not _MISSING  # type: ignore[arg-type]

    def __len__(self) -> int:
        return len(self._items)

    def keys(self) -> list[K]:
        """The live keys (a copy: safe to change the cache while walking it)."""
        now = self.clock()
        return [key for key, (expires_at, _) in self._items.items() if expires_at > now]

    def values(self) -> list[V]:
        now = self.clock()
        return [value for expires_at, value in self._items.values() if expires_at > now]

    def clear(self) -> None:
        self._items.clear()
