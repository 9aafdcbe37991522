"""Every process says how it is, every few seconds, in the NATS KV bucket `service-health`: what its `/health`
would answer, and since when it has been unhealthy. The notifier reads the bucket to tell the household
when a service stays unhealthy (or goes silent) for a minute. An entry lives `TTL_SECONDS` unless renewed;
a process that stops cleanly deletes its own.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import msgspec

from libs.bus import KeyValueCache, kv_key
from libs.runtime import Runtime
from libs.telemetry import get_logger

log = get_logger(__name__)
HEALTH_BUCKET = "service-health"
BEAT_SECONDS = 10.0
# how old a /health answer may be to be reused: while unhealthy it is asked anew each beat; while healthy at
# most once a minute (an idle home server's database is left alone; Traefik's checks ask more often anyway)
HEALTHY_REUSE_SECONDS = 60.0
TTL_SECONDS = 45.0  # an entry not renewed for so long is gone: its process died, or lost NATS


class Heartbeat(msgspec.Struct, kw_only=True, rename="camel"):
    service: str
    instance: str
    ok: bool
    failing: list[str]  # the checks that fail
    unhealthy_since: datetime | None  # while not ok
    at: datetime


def health_store(runtime_bus) -> KeyValueCache[Heartbeat]:
    return KeyValueCache(runtime_bus, HEALTH_BUCKET, TTL_SECONDS, Heartbeat)


async def beat(runtime: Runtime, seconds: float = BEAT_SECONDS) -> None:
    """Until cancelled: this process's health into the bucket; its entry deleted at a clean stop."""
    store = health_store(runtime.bus)
    instance = uuid.uuid4().hex[:8]
    key = kv_key(runtime.service, instance)
    since: datetime | None = None
    try:
        while True:
            try:
                ok, results = await runtime.recent_health(HEALTHY_REUSE_SECONDS if since is None else 0.0)
                now = datetime.now(UTC)
                since = None if ok else since or now
                failing = sorted(name for name, r in results.items() if not r["ok"])
                beat = Heartbeat(
                    service=runtime.service, instance=instance, ok=ok, failing=failing, unhealthy_since=since, at=now
                )
                await store.put(key, beat)
            except Exception as error:  # NATS away: nothing to write to; the entry runs out, which says it
                log.debug("heartbeat not written", error=type(error).__name__)
            await asyncio.sleep(seconds)
    finally:
        await store.delete(key)
