"""The stream-proxy application: the Stremio add-on under /stremio/torz/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from libs.bus import KeyValueCache
from libs.cinemeta import CinemetaClient
from libs.config import Settings, service_settings
from libs.crypto import SecretBox
from libs.outbox import Outbox
from libs.prowlarr import ProwlarrClient
from libs.runtime import Runtime
from libs.schemas.stremio import Availability, FoundReleases
from libs.tasks import background
from libs.web import create_app

from .addon_config import ConfigSealer
from .availability import AvailabilityChecker
from .config import StreamConfig
from .finder import ReleaseFinder
from .handlers import HANDLERS
from .keys import KeySource
from .parsing import TitleParser
from .play import Player
from .routes import ROUTES
from .search import Searcher, SearchPlan
from .streams import StreamService

SERVICE = "stream-proxy"
MIGRATIONS = Path(__file__).parent / "migrations"
SEARCH_BUCKET = "stream-search"
AVAILABILITY_BUCKET = "stream-availability"


class StreamProxy:
    def __init__(self, settings: Settings, config: StreamConfig | None = None) -> None:
        self.settings = settings
        self.config = config or service_settings(StreamConfig, settings.env)
        self.sealer = ConfigSealer(SecretBox(settings.secret_key))

    @asynccontextmanager
    async def run(self, runtime: Runtime) -> AsyncIterator[dict[str, StreamProxy]]:
        settings, config, bus = self.settings, self.config, runtime.bus
        parser = TitleParser()
        await parser.start()
        torbox = runtime.torbox()
        prowlarr = None
        if settings.prowlarr_url and settings.prowlarr_api_key:
            prowlarr = ProwlarrClient(runtime.http, settings.prowlarr_url, settings.prowlarr_api_key)
        plan = SearchPlan(
            budget=config.search_budget_seconds,
            default_timeout_ms=config.indexer_timeout_ms,
            grace=config.search_grace_seconds,
        )
        # usage, search measurements and key failures wait in PostgreSQL while NATS is away, instead of being lost
        outbox = Outbox(runtime.db, bus, "stream_proxy_outbox")
        keys = self.keys = KeySource(bus, outbox.add, config.pool_timeout_seconds, config.pool_grant_seconds)
        searcher = Searcher(bus, prowlarr, plan, emit=outbox.add) if prowlarr else None
        finder = ReleaseFinder(
            searcher,
            runtime.http,
            CinemetaClient(runtime.http, settings.cinemeta_url),
            parser,
            KeyValueCache(bus, SEARCH_BUCKET + config.cache_namespace, config.search_ttl_seconds, FoundReleases),
        )
        known = KeyValueCache(
            bus, AVAILABILITY_BUCKET + config.cache_namespace, config.availability_ttl_seconds, Availability
        )
        availability = AvailabilityChecker(torbox, known)
        self.streams = StreamService(keys, finder, availability, parser, config.memo_seconds)
        self.player = Player(
            bus,
            keys,
            torbox,
            parser,
            finder,
            config.link_ttl_seconds,
            emit=outbox.add,
            namespace=config.cache_namespace,
        )
        try:
            async with background(outbox.run()):
                yield {"proxy": self}  # the routes' `request.state.proxy`
        finally:
            if searcher is not None:
                await searcher.close()
            parser.close()


def build(settings: Settings, config: StreamConfig | None = None) -> Starlette:
    proxy = StreamProxy(settings, config)
    # Stremio's web and desktop apps fetch add-ons cross-origin
    cors = Middleware(
        CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "HEAD", "OPTIONS"], allow_headers=["*"]
    )
    app = create_app(
        SERVICE, settings, routes=ROUTES, handlers=HANDLERS, migrations=MIGRATIONS, setup=proxy.run, middleware=[cors]
    )
    app.state.proxy = proxy
    return app
