"""The add-on served against the fakes (Prowlarr, TorBox with its CDN, Cinemeta) stocked with the shared
catalogue, on the session's real NATS and a fresh PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
import pytest

from libs.bus import Bus, ensure_streams
from libs.schemas.stremio import AddonConfig, Filters, StoreConfig
from services.stream_proxy.addon_config import encode_config
from services.stream_proxy.app import build
from services.stream_proxy.config import StreamConfig
from tests.conftest import make_settings
from tests.fakes.catalogue import stock
from tests.fakes.cinemeta import FakeCinemeta
from tests.fakes.prowlarr import FakeProwlarr
from tests.fakes.torbox import FakeTorBox
from tests.support.asgi import serving, serving_fake

TOKEN = "tb_user_token_0001"


@dataclass
class Addon:
    client: httpx.AsyncClient
    base: str
    prowlarr: FakeProwlarr
    torbox: FakeTorBox
    cinemeta: FakeCinemeta
    bus: Bus
    proxy: object  # the running StreamProxy (app.state.proxy)
    settings: object = None  # what it was built with, to start another replica beside it

    def config(self, token: str | None = TOKEN, auth: str | None = None, **filters) -> str:
        return encode_config(AddonConfig(stores=[StoreConfig(c="tb", t=token, auth=auth)], filters=Filters(**filters)))

    async def streams(self, kind: str, video: str, config: str | None = None, **headers) -> list[dict]:
        response = await self.client.get(
            f"/stremio/torz/{config or self.config()}/stream/{kind}/{video}.json", headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()["streams"]


@pytest.fixture
async def fakes():
    prowlarr, torbox, cinemeta = FakeProwlarr(), FakeTorBox(download_seconds=1.0), FakeCinemeta()
    stock(prowlarr, torbox, slow_seconds=3.0)
    torbox.add_account(TOKEN)
    async with serving_fake(prowlarr), serving_fake(torbox), serving_fake(cinemeta):
        yield prowlarr, torbox, cinemeta


@pytest.fixture
def stream_config() -> StreamConfig:
    return StreamConfig(indexer_timeout_ms=1000, search_budget_seconds=2.5, cache_namespace=f"-{uuid.uuid4().hex[:8]}")


@pytest.fixture
async def addon(tmp_path, fresh_dsn, nats_url, fakes, stream_config):
    prowlarr, torbox, cinemeta = fakes
    settings = make_settings(
        tmp_path,
        DATABASE_URL=fresh_dsn,
        NATS_URL=nats_url,
        PROWLARR_URL=prowlarr.base_url,
        PROWLARR_API_KEY=prowlarr.api_key,
        TORBOX_API_URL=torbox.base_url,
        CINEMETA_URL=cinemeta.base_url,
    )
    bus = await Bus.connect(nats_url, "tests")
    await ensure_streams(bus)
    app = build(settings, stream_config)
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
        yield Addon(client, base, prowlarr, torbox, cinemeta, bus, app.state.proxy, settings)
    await bus.close()
