"""Client-side budgets for upstream limits (TorBox, per key: `createtorrent` 60 an hour and 10 a minute, and
300 requests a minute to each endpoint): a call that would be refused is not made, and the caller learns when
it may try again.

`SharedWindowLimiter` holds one budget per key for every process of every service using that key (two
stream-proxy replicas and a qbt-shim borrowing the same pool key spend one budget, as TorBox counts it): the
recent calls live in NATS KV, and a call is taken with compare-and-set on the key's revision, so two
processes taking the last call at once cannot both have it. NATS KV rather than one owner answering over
NATS: no owner to elect or to lose, one round trip to read and one to write, and the bucket is replicated by
JetStream in a cluster. While NATS is away, each process counts on by itself (see `_acquire_offline`).

A budget spent often (the general request rate) is taken a few calls at a time (`batch`): one compare-and-set
buys a process up to `batch` calls for the next `hold` seconds, counted as made at the end of those seconds
(so TorBox's window never holds a call ours has let go); what a process does not use in time is lost to it,
a few calls a minute at most, rather than one round trip per TorBox request contending for one entry.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Sequence

import msgspec
import nats.errors
import nats.js.errors
from nats.js.api import KeyValueConfig
from nats.js.kv import KeyValue

from libs.bus import Bus, kv_key
from libs.cache import BoundedCache
from libs.telemetry import get_logger

log = get_logger(__name__)
Limits = tuple[tuple[int, float], ...]  # (calls, seconds) pairs that must all hold
MAX_KEYS = 10_000  # keys whose calls a process remembers (a pool's keys, and users' own tokens)


def wait_before(limits: Limits, calls: Sequence[float], now: float) -> float:
    """Seconds until one more call would keep every limit, given the earlier calls' times (0: now)."""
    wait = 0.0
    for allowed, seconds in limits:
        recent = [t for t in calls if t > now - seconds]
        if len(recent) >= allowed:
            wait = max(wait, recent[-allowed] + seconds - now)
    return wait


def room_for(limits: Limits, calls: Sequence[float], now: float) -> int:
    """How many more calls every limit allows now."""
    return min(allowed - sum(1 for t in calls if t > now - seconds) for allowed, seconds in limits)


def fingerprint_key(key: str) -> str:
    """What names a TorBox key in memory maps and shared buckets without holding the key itself."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


_calls = msgspec.json.Decoder(list[float])
_encode = msgspec.json.Encoder().encode


def _recorded(value: bytes | None) -> list[float]:
    try:
        return _calls.decode(value or b"[]")
    except msgspec.DecodeError:  # written by another version: counted afresh, and replaced by the next call
        return []


class SharedWindowLimiter:
    ATTEMPTS = 8  # compare-and-set rounds lost to other processes before giving up for now
    CONTENDED_WAIT = 1.0  # … and the caller tries again that soon

    def __init__(self, bus: Bus, bucket: str, *limits: tuple[int, float], batch: int = 1, hold: float = 2.0) -> None:
        self.bus = bus
        self.bucket = bucket
        self.limits: Limits = tuple(limits)
        self.batch = batch
        self.hold = hold
        self._longest = max(seconds for _, seconds in limits)
        self._kv: KeyValue | None = None
        # per key name: the shared calls last seen, and the calls this process made while NATS was away
        self._seen: BoundedCache[str, list[float]] = BoundedCache(MAX_KEYS, self._longest)
        self._offline: BoundedCache[str, list[float]] = BoundedCache(MAX_KEYS, self._longest)
        # per key name: calls bought with the last batch and not used yet, and until when they may be used
        self._bought: BoundedCache[str, tuple[int, float]] = BoundedCache(MAX_KEYS, hold)
        # one round for the shared entry at a time per key name: callers meanwhile wait for its batch
        self._turns: BoundedCache[str, asyncio.Lock] = BoundedCache(MAX_KEYS, self._longest)

    async def _store(self) -> KeyValue:
        if self._kv is None:
            try:
                self._kv = await self.bus.js.key_value(self.bucket)
            except nats.js.errors.BucketNotFoundError:
                # a key no process has used for the longest window is forgotten with its calls
                config = KeyValueConfig(
                    bucket=self.bucket, ttl=self._longest + 60, history=1, replicas=self.bus.replicas
                )
                self._kv = await self.bus.js.create_key_value(config)
        return self._kv

    async def acquire(self, key: str, scope: str = "") -> float | None:
        """Take one call for the secret `key` (only its fingerprint is stored), within `scope` (an endpoint,
        when each has its own budget): None when allowed (and counted for every process), else the seconds
        until one would be."""
        name = kv_key(fingerprint_key(key), scope) if scope else kv_key(fingerprint_key(key))
        if self._spend_bought(name):
            return None
        async with self._turns.setdefault(name, asyncio.Lock):
            if self._spend_bought(name):  # bought by the caller before in line
                return None
            if not self.bus.connected:  # away now: not after a request's timeout
                return self._acquire_offline(name)
            try:
                return await self._acquire_shared(name)
            except (nats.errors.Error, TimeoutError, OSError) as error:
                self._kv = None  # the bucket may be gone (NATS's data wiped): made again next time
                log.warning("shared limit unavailable; counting here", bucket=self.bucket, error=type(error).__name__)
                return self._acquire_offline(name)

    def _spend_bought(self, name: str) -> bool:
        left, until = self._bought.get(name) or (0, 0.0)
        if left <= 0 or time.monotonic() >= until:
            return False
        self._bought.set(name, (left - 1, until))
        return True

    async def _acquire_shared(self, name: str) -> float | None:
        store = await self._store()
        for _ in range(self.ATTEMPTS):
            try:
                entry = await store.get(name)
                calls, revision = _recorded(entry.value), entry.revision
            except (nats.js.errors.KeyNotFoundError, nats.js.errors.KeyDeletedError):  # new or forgotten
                calls, revision = [], None
            now = time.time()  # wall clock: the processes may be on different hosts
            offline = self._offline.get(name)
            calls = self._recent([*calls, *(offline or ())], now)
            self._seen.set(name, calls)
            wait = wait_before(self.limits, calls, now)
            if wait > 0 and not offline:
                return wait
            # the calls taken now, and the calls made here while NATS was away (even when refusing now)
            bought = 0 if wait > 0 else max(1, min(self.batch, room_for(self.limits, calls, now)))
            stamp = now + self.hold if bought > 1 else now  # a batch's calls may be made until then
            written = sorted([*calls, *[stamp] * bought])
            value = _encode(written)
            try:
                if revision is None:
                    await store.create(name, value)
                else:
                    await store.update(name, value, last=revision)
            except nats.js.errors.KeyWrongLastSequenceError:
                continue  # another process took a call meanwhile: count again
            self._offline.pop(name, None)  # in the shared entry now
            self._seen.set(name, written)
            if bought > 1:
                self._bought.set(name, (bought - 1, time.monotonic() + self.hold))
            return wait if wait > 0 else None
        return self.CONTENDED_WAIT  # many processes at once: the next try comes soon

    def _acquire_offline(self, name: str) -> float | None:
        """NATS is away: this process counts on from the shared calls it last saw, and its own calls are
        written into the shared entry with its next call once NATS is back. Adds go on (a download is not
        held up by NATS); only processes adding with one key during the same outage can overspend it, and
        TorBox's 429 then says so."""
        now = time.time()
        offline = self._offline.get(name) or []
        calls = self._recent([*(self._seen.get(name) or ()), *offline], now)
        wait = wait_before(self.limits, calls, now)
        if wait > 0:
            return wait
        self._offline.set(name, [*offline, now])
        return None

    def _recent(self, calls: list[float], now: float) -> list[float]:
        return sorted(t for t in calls if t > now - self._longest)
