"""Client-side budgets for upstream limits (TorBox: `createtorrent` 60 an hour and 10 a minute per key):
a call that would be refused is not made, and the caller learns when it may try again."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Hashable


class WindowLimiter:
    def __init__(self, *limits: tuple[int, float]) -> None:
        """`limits`: (calls, seconds) pairs that must all hold, e.g. `(60, 3600), (10, 60)`."""
        self.limits = limits
        self._calls: dict[Hashable, deque[float]] = defaultdict(deque)
        self._longest = max(seconds for _, seconds in limits)

    def acquire(self, key: Hashable, now: float | None = None) -> float | None:
        """Take one call for `key`: None when allowed (and counted), else the seconds until one would be."""
        now = time.monotonic() if now is None else now
        calls = self._calls[key]
        while calls and calls[0] <= now - self._longest:
            calls.popleft()
        wait = 0.0
        for allowed, seconds in self.limits:
            recent = [t for t in calls if t > now - seconds]
            if len(recent) >= allowed:
                wait = max(wait, recent[-allowed] + seconds - now)
        if wait > 0:
            return wait
        calls.append(now)
        return None
