"""What a running service holds: its settings, database pool, NATS bus and HTTP client.

Opened once by the lifespan, passed to the service's own setup, closed in reverse order. Nothing global.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from libs.bus import Bus, ensure_streams
from libs.config import Settings
from libs.db import PLATFORM_MIGRATIONS, create_pool, migrate, ping
from libs.http import http_client
from libs.leases import Leases
from libs.ratelimit import SharedWindowLimiter
from libs.telemetry import configure_tracing, get_logger
from libs.torbox import REQUEST_WINDOW_SECONDS, TORBOX_REQUESTS_BUCKET, TorBoxClient

log = get_logger("libs.runtime")

# A named check for /health: returns (ok, detail). Services add their own (Prowlarr reachable, …).
HealthCheck = Callable[[], Awaitable[tuple[bool, str]]]


@dataclass
class Runtime:
    service: str
    settings: Settings
    db: asyncpg.Pool
    bus: Bus
    http: httpx.AsyncClient
    leases: Leases
    checks: dict[str, HealthCheck] = field(default_factory=dict)
    informational: set[str] = field(default_factory=set)
    # the last answer of `health()` and when (monotonic): what Traefik's checks found, reused by the heartbeat
    last_health: tuple[bool, dict[str, dict[str, object]], float] | None = None

    def torbox(self) -> TorBoxClient:
        """A TorBox client whose requests keep each key's rate (300 a minute per endpoint by default) together
        with every other process using that key."""
        limit = (self.settings.torbox_requests_per_minute, REQUEST_WINDOW_SECONDS)
        budget = SharedWindowLimiter(self.bus, TORBOX_REQUESTS_BUCKET, limit, batch=10)
        return TorBoxClient(self.http, self.settings.torbox_api_url, budget=budget)

    def add_check(self, name: str, check: HealthCheck, *, critical: bool = True) -> None:
        """A check shown by /health; only critical ones turn it to 503 when they fail."""
        self.checks[name] = check
        if not critical:
            self.informational.add(name)

    async def health(self) -> tuple[bool, dict[str, dict[str, object]]]:
        """Each dependency's state; healthy when every critical one is."""
        results: dict[str, dict[str, object]] = {}
        db_ok = await ping(self.db)
        results["database"] = {"ok": db_ok}
        results["nats"] = {"ok": self.bus.connected}
        for name, check in self.checks.items():
            try:
                ok, detail = await check()
            except Exception as error:  # a failing check is a finding, not a crash of /health
                ok, detail = False, f"{type(error).__name__}"
            results[name] = {"ok": ok, "detail": detail}
        healthy = all(bool(r["ok"]) for name, r in results.items() if name not in self.informational)
        self.last_health = (healthy, results, time.monotonic())
        return healthy, results

    async def recent_health(self, max_age: float) -> tuple[bool, dict[str, dict[str, object]]]:
        """`health()`, or its last answer when younger than `max_age` seconds (Traefik asks every 5 s: the
        database is not asked again for the heartbeat)."""
        if self.last_health is not None and time.monotonic() - self.last_health[2] < max_age:
            return self.last_health[0], self.last_health[1]
        return await self.health()


@asynccontextmanager
async def open_runtime(service: str, settings: Settings, migrations: Path | None) -> AsyncIterator[Runtime]:
    if not settings.database_url or not settings.nats_url:
        raise SystemExit(f"{service}: DATABASE_URL and NATS_URL must be set (make run sets both)")
    configure_tracing(service, settings.otel_endpoint)
    async with AsyncExitStack() as stack:
        db = await create_pool(
            settings.database_url,
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
            service=service,
        )
        stack.push_async_callback(db.close)
        await migrate(db, "platform", PLATFORM_MIGRATIONS)  # what every service shares (the leases)
        if migrations is not None:
            await migrate(db, service, migrations)
        leases = Leases(db, service)
        stack.push_async_callback(leases.release)  # before the pool closes: a clean stop hands its jobs on
        bus = await Bus.connect(settings.nats_url, service, replicas=settings.nats_replicas)
        stack.push_async_callback(bus.close)
        await ensure_streams(bus)
        http = http_client(service)
        stack.push_async_callback(http.aclose)
        log.info("service started", service=service)
        yield Runtime(service=service, settings=settings, db=db, bus=bus, http=http, leases=leases)
        log.info("service stopping", service=service)
