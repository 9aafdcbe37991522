"""A running indexer-stats (real PostgreSQL, real NATS) and helpers to feed it searches."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from libs.bus import Bus, publish
from libs.db import create_pool
from libs.schemas import INDEXER_SEARCH, IndexerSearch
from services.indexer_stats.app import build
from services.indexer_stats.config import StatsConfig
from tests.conftest import make_settings
from tests.fakes.prowlarr import FakeProwlarr
from tests.support.asgi import serving, serving_fake


def search(indexer: int, ms: int, outcome: str = "success", results: int = 10, at: datetime | None = None, **kw):
    return IndexerSearch(
        search_id=uuid.uuid4().hex,
        indexer_id=indexer,
        indexer_name=f"Indexer {indexer}",
        query="{ImdbId:tt0133093}",
        imdb_id="tt0133093",
        search_type="movie",
        duration_ms=ms,
        outcome=outcome,
        result_count=results if outcome == "success" else 0,
        at=at or datetime.now(UTC),
        **kw,
    )


@dataclass
class StatsHarness:
    app: object
    http: httpx.AsyncClient
    bus: Bus
    db: object

    @property
    def service(self):
        return self.app.state.service

    async def send(self, events) -> None:
        await asyncio.gather(*(publish(self.bus, INDEXER_SEARCH, e) for e in events))

    async def settled(self, stored: int) -> None:
        """Wait until `stored` searches are in, then refresh the figures now."""
        from tests.support.asgi import eventually

        await eventually(lambda: self.db.fetchval("SELECT count(*) >= $1 FROM prowlarr_search_logs", stored))
        await self.service.stats.refresh()


@pytest.fixture
def stats_config() -> StatsConfig:
    return StatsConfig(refresh_seconds=0.2, percentile_seconds=0.5)


@pytest.fixture
async def fake_prowlarr():
    fake = FakeProwlarr()
    fake.add_indexer(1, "Indexer 1")
    async with serving_fake(fake):
        yield fake


@pytest.fixture
async def stats(tmp_path, fresh_dsn, nats_url, stats_config, fake_prowlarr):
    settings = make_settings(
        tmp_path,
        DATABASE_URL=fresh_dsn,
        NATS_URL=nats_url,
        PROWLARR_URL=fake_prowlarr.base_url,
        PROWLARR_API_KEY=fake_prowlarr.api_key,
    )
    # each test has its own database but the JetStream stream is shared: start from an empty one
    bus = await Bus.connect(nats_url, "tests")
    try:
        await bus.js.purge_stream("INDEXER_SEARCH")
        await bus.js.purge_stream("ALERTS")  # "indexer:1" is every test's first indexer
    except Exception:
        pass
    app = build(settings, stats_config)
    async with serving(app) as base:
        db = await create_pool(fresh_dsn, min_size=1, max_size=3)
        client = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {settings.admin_token}"})
        try:
            yield StatsHarness(app, client, bus, db)
        finally:
            await client.aclose()
            await db.close()
            await bus.close()


def hours_ago(n: float) -> datetime:
    return datetime.now(UTC) - timedelta(hours=n)
