"""The notifier application: integrations settings, and media servers refreshed on finished downloads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette

from libs.config import Settings
from libs.crypto import SecretBox
from libs.runtime import Runtime
from libs.tasks import background
from libs.web import create_app

from .media_servers import MediaServerClient
from .refresh import Refresher
from .routes import routes
from .settings import SettingsStore

SERVICE = "notifier"
MIGRATIONS = Path(__file__).parent / "migrations"


class Notifier:
    def __init__(self, settings: Settings, tick_seconds: float = 0.5) -> None:
        self.settings = settings
        self.tick_seconds = tick_seconds

    @asynccontextmanager
    async def run(self, runtime: Runtime) -> AsyncIterator[None]:
        self.store = SettingsStore(runtime.db, SecretBox(self.settings.secret_key))
        self.media = MediaServerClient(runtime.http)
        self.refresher = Refresher(runtime.db, self.store, self.media, self.tick_seconds)
        consumer = self.refresher.consumer(runtime.bus)
        consumer.start()
        try:
            async with background(self.refresher.run()):
                yield
        finally:
            await consumer.stop()


def build(settings: Settings, tick_seconds: float = 0.5) -> Starlette:
    notifier = Notifier(settings, tick_seconds)
    app = create_app(SERVICE, settings, routes=routes(notifier), migrations=MIGRATIONS, setup=notifier.run)
    app.state.notifier = notifier
    return app
