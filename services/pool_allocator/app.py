"""The pool-allocator application: its parts built at start-up, its NATS handlers and HTTP routes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette

from libs.bus import Consumer
from libs.config import Settings, service_settings
from libs.crypto import SecretBox
from libs.retention import keep_pruned
from libs.runtime import Runtime
from libs.schemas import POOL_CACHE_INVALIDATE, POOL_KEY_FAILURE, POOL_KEY_GET, POOL_STREAM_END, POOL_STREAM_START
from libs.tasks import background
from libs.torbox import TorBoxClient
from libs.web import create_app

from .activity import ActivityRecorder
from .admin import Admin
from .allocator import Allocator
from .cache import AccessCache
from .config import PoolConfig, retention
from .handlers import get_key_handler
from .health import HealthMonitor
from .invalidation import Invalidator
from .reclaim import Reclaimer
from .routes import ROUTES
from .sessions import StreamSessions
from .usage import UsageLog

SERVICE = "pool-allocator"
MIGRATIONS = Path(__file__).parent / "migrations"


class PoolAllocator:
    """What the routes and handlers call; its parts exist once the runtime is open."""

    def __init__(self, settings: Settings, config: PoolConfig | None = None) -> None:
        self.settings = settings
        self.config = config or service_settings(PoolConfig, settings.env)
        self.box = SecretBox(settings.secret_key)
        self.cache = AccessCache(self.config.cache_ttl_seconds)

    @asynccontextmanager
    async def run(self, runtime: Runtime) -> AsyncIterator[dict[str, PoolAllocator]]:
        db, bus = runtime.db, runtime.bus
        self.invalidator = Invalidator(self.cache, bus)
        self.activity = ActivityRecorder(db)
        self.allocator = Allocator(db, self.box, self.config, self.cache, self.activity)
        self.admin = Admin(db, self.box, self.config, self.invalidator)
        self.usage = UsageLog(db, bus)
        self.sessions = StreamSessions(db, self.config.stream_ttl_minutes)
        torbox = TorBoxClient(runtime.http, self.settings.torbox_api_url)
        self.health = HealthMonitor(db, self.box, torbox, self.config, self.invalidator)
        self.reclaimer = Reclaimer(db, self.config, self.invalidator)
        subscriptions = [
            await bus.serve(POOL_KEY_GET, get_key_handler(self.allocator)),
            await bus.listen(POOL_CACHE_INVALIDATE, self.invalidator.on_broadcast),
            await bus.serve(POOL_STREAM_START, self.sessions.start),
            await bus.serve(POOL_STREAM_END, self.sessions.end),
        ]
        consumers = [
            self.usage.consumer(bus),
            Consumer(bus, POOL_KEY_FAILURE, "pool-allocator-key-failures", self.health.on_reports, batch=50),
        ]
        for consumer in consumers:
            consumer.start()
        jobs = background(
            self.activity.run(self.config.activity_flush_seconds),
            self.sessions.run(self.config.session_sweep_seconds),
            self.health.run(self.config.health_interval_seconds),
            self.reclaimer.run(),
            keep_pruned(runtime.db, retention(self.config)),
        )
        try:
            async with jobs:
                yield {"pool": self}  # the routes' `request.state.pool`
        finally:
            await asyncio.gather(*(consumer.stop() for consumer in consumers))
            for subscription in subscriptions:
                await subscription.unsubscribe()
            try:
                await self.activity.flush()
            except Exception:  # the database may be gone at shutdown; the next activity will be seen
                pass


def build(settings: Settings, config: PoolConfig | None = None) -> Starlette:
    pool = PoolAllocator(settings, config)
    app = create_app(SERVICE, settings, routes=ROUTES, migrations=MIGRATIONS, setup=pool.run)
    app.state.pool = pool  # for tests and tools that drive its jobs directly
    return app
