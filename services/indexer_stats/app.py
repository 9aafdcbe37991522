"""The indexer-stats application, wiring only: the ranking, the ingest and the Prowlarr poller built at start-up
and yielded as lifespan state to the HTTP routes (routes.py) and the NATS handlers (handlers.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette

from libs.config import Settings, service_settings
from libs.outbox import Outbox
from libs.prowlarr import ProwlarrClient
from libs.runtime import Runtime
from libs.tasks import background
from libs.web import create_app

from .config import StatsConfig
from .handlers import HANDLERS
from .history import HistoryReader
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
        outbox = Outbox(runtime.db, runtime.bus, "indexer_stats_outbox")  # indexers going down and back
        self.stats = Stats(runtime.db, self.config, outbox)
        self.ingest = Ingest(runtime.db)
        self.ingest.on_stored = self.stats.changed
        client = None
        if self.settings.prowlarr_url and self.settings.prowlarr_api_key:
            client = ProwlarrClient(runtime.http, self.settings.prowlarr_url, self.settings.prowlarr_api_key)
        history = None
        if client is not None:
            history = HistoryReader(runtime.db, client, self.ingest, on_read=self.stats.history_read)
        self.poller = ProwlarrPoller(runtime.db, client, on_change=self.stats.changed, history=history)
        runtime.add_check("prowlarr", self.poller.health, critical=False)
        await self.poller.poll()  # a failure here is reported, not fatal
        await self.stats.refresh()  # the ranking is in memory before the first question
        jobs = background(
            outbox.run(),
            self.stats.run(),
            self.stats.run_percentiles(),
            self.stats.run_retention(runtime.leases),
            self.poller.run(self.config.prowlarr_poll_seconds, runtime.leases),
        )
        async with jobs:
            yield {"indexers": self}  # the routes' and handlers' `state.indexers`


def build(settings: Settings, config: StatsConfig | None = None) -> Starlette:
    service = IndexerStats(settings, config)
    app = create_app(SERVICE, settings, routes=ROUTES, handlers=HANDLERS, migrations=MIGRATIONS, setup=service.run)
    app.state.service = service
    return app
