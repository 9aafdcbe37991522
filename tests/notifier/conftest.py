"""The notifier against fake Jellyfin and Emby servers, on the session's NATS and a fresh PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from libs.bus import Bus, ensure_streams
from services.notifier.app import build
from services.notifier.config import NotifierConfig
from tests.conftest import make_settings
from tests.fakes.jellyfin import FakeJellyfin
from tests.support.asgi import serving, serving_fake


@dataclass
class NotifierHarness:
    client: httpx.AsyncClient  # with the admin token
    base: str
    jellyfin: FakeJellyfin
    emby: FakeJellyfin
    bus: Bus
    app: object
    settings: object

    async def configure(self, **document) -> dict:
        response = await self.client.patch("/settings/integrations", json=document)
        assert response.status_code == 200, response.text
        return response.json()

    async def enable_both(self, coalesce: float = 0.5, mappings=None) -> None:
        await self.configure(
            jellyfin={"enabled": True, "url": self.jellyfin.base_url, "apiKey": self.jellyfin.api_key},
            emby={"enabled": True, "url": self.emby.base_url, "apiKey": self.emby.api_key},
            coalesceSeconds=coalesce,
            pathMappings=mappings or [],
        )


@pytest.fixture
async def media_servers():
    jellyfin = FakeJellyfin("jellyfin-key-0001")
    emby = FakeJellyfin("emby-key-000000002", legacy_auth=True, name="Emby")
    async with serving_fake(jellyfin), serving_fake(emby):
        yield jellyfin, emby


@pytest.fixture
async def notifier(tmp_path, fresh_dsn, nats_url, media_servers):
    settings = make_settings(tmp_path, DATABASE_URL=fresh_dsn, NATS_URL=nats_url)
    bus = await Bus.connect(nats_url, "tests")
    await ensure_streams(bus)
    for stream, consumer in (("TORRENT_STATUS", "notifier-refresh"), ("ALERTS", "notifier-alerts")):
        await bus.js.purge_stream(stream)
        try:
            await bus.js.delete_consumer(stream, consumer)  # each test starts from its own events
        except Exception:
            pass
    app = build(settings, NotifierConfig(tick_seconds=0.1, poll_seconds=0.3))
    headers = {"Authorization": f"Bearer {settings.admin_token}"}
    async with serving(app) as base, httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        yield NotifierHarness(client, base, *media_servers, bus, app, settings)
    await bus.close()
