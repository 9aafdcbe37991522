"""The pool-allocator application, wiring only: its parts built at start-up and yielded as lifespan state to
the HTTP routes (routes.py) and the NATS handlers (handlers.py), its background loops started."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette

from libs.config import Settings, service_settings
from libs.crypto import SecretBox
from libs.outbox import Outbox
from libs.retention import keep_pruned
from libs.runtime import Runtime
from libs.tasks import background
from libs.web import create_app

from .account import Accounts
from .activity import ActivityRecorder
from .admin import Admin
from .allocator import Allocator
from .cache import AccessCache
from .config import PoolConfig, retention
from .handlers import HANDLERS
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
        self.accounts = Accounts(db, self.admin, self.invalidator, self.config.bcrypt_rounds)
        self.usage = UsageLog(db, bus)
        self.sessions = StreamSessions(db, self.config.stream_ttl_minutes)
        torbox = runtime.torbox()
        outbox = Outbox(db, bus, "pool_outbox")  # alerts of keys failing and recovering
        self.health = HealthMonitor(db, self.box, torbox, self.config, self.invalidator, outbox)
        self.reclaimer = Reclaimer(db, self.config, self.invalidator)
        jobs = background(
            outbox.run(),
            self.activity.run(self.config.activity_flush_seconds),
            self.sessions.run(self.config.session_sweep_seconds, runtime.leases),
            self.health.run(self.config.health_interval_seconds, runtime.leases),
            self.reclaimer.run(),  # once per period already (pool_job_runs)
            keep_pruned(runtime.db, retention(self.config), lease=runtime.leases),
        )
        try:
            async with jobs:
                yield {"pool": self}  # the routes' and handlers' `state.pool`
        finally:
            try:
                await self.activity.flush()
            except Exception:  # the database may be gone at shutdown; the next activity will be seen
                pass


def build(settings: Settings, config: PoolConfig | None = None) -> Starlette:
    pool = PoolAllocator(settings, config)
    app = create_app(SERVICE, settings, routes=ROUTES, handlers=HANDLERS, migrations=MIGRATIONS, setup=pool.run)
    app.state.pool = pool  # for tests and tools that drive its jobs directly
    return app
