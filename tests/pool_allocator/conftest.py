"""A running pool-allocator (real PostgreSQL, real NATS) and helpers to drive it over HTTP and NATS."""

from __future__ import annotations

import httpx
import pytest

from libs.bus import Bus
from libs.db import create_pool
from services.pool_allocator.app import build
from services.pool_allocator.config import PoolConfig
from tests.conftest import make_settings
from tests.fakes.torbox import FakeTorBox
from tests.support.asgi import serving, serving_fake
from tests.support.pool import PoolHarness


@pytest.fixture
def pool_config() -> PoolConfig:
    return PoolConfig(bcrypt_rounds=4, activity_flush_seconds=0.2)


@pytest.fixture
async def fake_torbox():
    fake = FakeTorBox()
    async with serving_fake(fake):
        yield fake


@pytest.fixture
async def pool(tmp_path, fresh_dsn, nats_url, pool_config, fake_torbox):
    settings = make_settings(
        tmp_path, DATABASE_URL=fresh_dsn, NATS_URL=nats_url, DB_POOL_MAX="10", TORBOX_API_URL=fake_torbox.base_url
    )
    app = build(settings, pool_config)
    async with serving(app) as base:
        bus = await Bus.connect(nats_url, "tests")
        db = await create_pool(fresh_dsn, min_size=1, max_size=4)
        client = httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {settings.admin_token}"}, timeout=60
        )
        try:
            yield PoolHarness(app, client, bus, db, settings, base)
        finally:
            await client.aclose()
            await db.close()
            await bus.close()
