"""The indexer-stats application: ingest, refresh and ranking at start-up, the JSON routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette

from libs.config import Settings, service_settings
from libs.prowlarr import ProwlarrClient
from libs.runtime import Runtime
from libs.schemas import INDEXER_RANKING_GET
from libs.tasks import background
from libs.web import create_app

from .config import StatsConfig
from .ingest import Ingest
from .poller import ProwlarrPoller
from .routes import ROUTES
from .stats import Stats

SERVICE = "indexer-stats"
MIGRATIONS = Path(__file__).parent / "migrations"


class IndexerStats:
    def __init__(self, settings: Settings, config: StatsConfig | None = None) -> None:
        self.settings = settings
        self.config = config or service_settings(StatsConfig, settings.env)

    @asynccontextmanager
    async def run(self, runtime: Runtime) -> AsyncIterator[dict[str, IndexerStats]]:
        self.stats = Stats(runtime.db, self.config)
        self.ingest = Ingest(runtime.db)
        self.ingest.on_stored = self.stats.changed
        client = None
        if self.settings.prowlarr_url and self.settings.prowlarr_api_key:
            client = ProwlarrClient(runtime.http, self.settings.prowlarr_url, self.settings.prowlarr_api_key)
        self.poller = ProwlarrPoller(runtime.db, client, on_change=self.stats.changed)
        runtime.add_check("prowlarr", self.poller.health, critical=False)
        await self.poller.poll()  # a failure here is reported, not fatal
        await self.stats.refresh()  # the ranking is in memory before the first question
        subscription = await runtime.bus.serve(INDEXER_RANKING_GET, self.stats.answer_ranking)
        consumer = self.ingest_consumer = self.ingest.consumer(runtime.bus)
        consumer.start()
        jobs = background(
            self.stats.run(),
            self.stats.run_percentiles(),
            self.stats.run_retention(),
            self.poller.run(self.config.prowlarr_poll_seconds),
        )
        try:
            async with jobs:
                yield {"indexers": self}  # the routes' `request.state.indexers`
        finally:
            await consumer.stop()
            await subscription.unsubscribe()


def build(settings: Settings, config: StatsConfig | None = None) -> Starlette:
    service = IndexerStats(settings, config)
    app = create_app(SERVICE, settings, routes=ROUTES, migrations=MIGRATIONS, setup=service.run)
    app.state.service = service
    return app
