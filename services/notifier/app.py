"""The notifier application, wiring only: its settings store, refresher and download-client follower built at
start-up and yielded as lifespan state to the HTTP routes (routes.py) and the NATS handlers (handlers.py)."""

from __future__ import annotations

import asyncio
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

from .alerts import Alerts
from .config import NotifierConfig, retention
from .downloads import Downloads
from .handlers import HANDLERS
from .health_watch import HealthWatch
from .hooks import Hooks
from .media_servers import MediaServerClient
from .refresh import Refresher
from .routes import ROUTES
from .settings import SettingsStore

SERVICE = "notifier"
MIGRATIONS = Path(__file__).parent / "migrations"


class Notifier:
    def __init__(self, settings: Settings, config: NotifierConfig | None = None) -> None:
        self.settings = settings
        self.config = config or service_settings(NotifierConfig, settings.env)
        self._poll_wake = asyncio.Event()

    def poll_now(self) -> None:
        self._poll_wake.set()

    @asynccontextmanager
    async def run(self, runtime: Runtime) -> AsyncIterator[dict[str, Notifier]]:
        box = SecretBox(self.settings.secret_key)
        self.store = SettingsStore(runtime.db, box)
        self.media = MediaServerClient(runtime.http)
        self.refresher = Refresher(runtime.db, self.store, self.media, self.config.tick_seconds)
        self.hooks = Hooks(runtime.db, self.refresher, self.settings.secret_key)
        self.alerts = Alerts(runtime.db, runtime.http, self.store)
        self.refresher.on_alert = self.alerts.raised
        self.health_watch = HealthWatch(runtime, self.alerts.raised)
        outbox = Outbox(runtime.db, runtime.bus, "notifier_outbox")
        self.downloads = Downloads(runtime.db, box, runtime.http, outbox)
        self.downloads.on_completed = self.refresher.completed
        runtime.add_check("download clients", self.downloads.health, critical=False)
        try:
            async with background(
                self.refresher.run(),
                self.alerts.run(),
                self.health_watch.run(runtime.leases, self.config.health_watch_seconds),
                outbox.run(),
                self.downloads.run(self.config.poll_seconds, self._poll_wake, runtime.leases),
                keep_pruned(runtime.db, retention(self.config), lease=runtime.leases),
            ):
                yield {"notifier": self}  # the routes' and handlers' `state.notifier`
        finally:
            await self.downloads.aclose()


def build(settings: Settings, config: NotifierConfig | None = None) -> Starlette:
    notifier = Notifier(settings, config)
    app = create_app(SERVICE, settings, routes=ROUTES, handlers=HANDLERS, migrations=MIGRATIONS, setup=notifier.run)
    app.state.notifier = notifier
    return app
