"""Client-side budgets for upstream limits (TorBox: `createtorrent` 60 an hour and 10 a minute per key):
a call that would be refused is not made, and the caller learns when it may try again.

`SharedWindowLimiter` holds one budget per key for every process of every service using that key (two
stream-proxy replicas and a qbt-shim borrowing the same pool key spend one budget, as TorBox counts it): the
recent calls live in NATS KV, and a call is taken with compare-and-set on the key's revision, so two
processes taking the last call at once cannot both have it. NATS KV rather than one owner answering over
NATS: no owner to elect or to lose, one round trip to read and one to write, and the bucket is replicated by
JetStream in a cluster.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

import msgspec
import nats.errors
import nats.js.errors
from nats.js.api import KeyValueConfig
from nats.js.kv import KeyValue

from libs.bus import Bus, kv_key
from libs.telemetry import get_logger

log = get_logger(__name__)
Limits = tuple[tuple[int, float], ...]  # (calls, seconds) pairs that must all hold


def wait_before(limits: Limits, calls: Sequence[float], now: float) -> float:
    """Seconds until one more call would keep every limit, given the earlier calls' times (0: now)."""
    wait = 0.0
    for allowed, seconds in limits:
        recent = [t for t in calls if t > now - seconds]
        if len(recent) >= allowed:
            wait = max(wait, recent[-allowed] + seconds - now)
    return wait


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
    # while NATS is away no call is taken: an add waits (and is retried) rather than risk TorBox's 429s and
    # a budget spent twice
    AWAY_WAIT = 5.0
    ATTEMPTS = 8  # compare-and-set rounds lost to other processes before giving up for now
    CONTENDED_WAIT = 1.0  # … and the caller tries again that soon

    def __init__(self, bus: Bus, bucket: str, *limits: tuple[int, float]) -> None:
        self.bus = bus
        self.bucket = bucket
        self.limits: Limits = tuple(limits)
        self._longest = max(seconds for _, seconds in limits)
        self._kv: KeyValue | None = None

    async def _store(self) -> KeyValue:
        if self._kv is None:
            try:
                self._kv = await self.bus.js.key_value(self.bucket)
            except nats.js.errors.BucketNotFoundError:
                # a key no process has used for the longest window is forgotten with its calls
                config = KeyValueConfig(bucket=self.bucket, ttl=self._longest + 60, history=1)
                self._kv = await self.bus.js.create_key_value(config)
        return self._kv

    async def acquire(self, key: str) -> float | None:
        """Take one call for the secret `key` (only its fingerprint is stored): None when allowed (and
        counted for every process), else the seconds until one would be."""
        name = kv_key(fingerprint_key(key))
        try:
            store = await self._store()
            for _ in range(self.ATTEMPTS):
                try:
                    entry = await store.get(name)
                    calls, revision = _recorded(entry.value), entry.revision
                except (nats.js.errors.KeyNotFoundError, nats.js.errors.KeyDeletedError):  # new or forgotten
                    calls, revision = [], None
                now = time.time()  # wall clock: the processes may be on different hosts
                calls = [t for t in calls if t > now - self._longest]
                wait = wait_before(self.limits, calls, now)
                if wait > 0:
                    return wait
                value = _encode([*calls, now])
                try:
                    if revision is None:
                        await store.create(name, value)
                    else:
                        await store.update(name, value, last=revision)
                    return None
                except nats.js.errors.KeyWrongLastSequenceError:
                    continue  # another process took a call meanwhile: count again
        except (nats.errors.Error, TimeoutError, OSError) as error:
            self._kv = None  # the bucket may be gone (NATS's data wiped): made again next time
            log.warning("shared limit unavailable; waiting", bucket=self.bucket, error=type(error).__name__)
            return self.AWAY_WAIT
        return self.CONTENDED_WAIT  # many processes at once: the next try comes soon
