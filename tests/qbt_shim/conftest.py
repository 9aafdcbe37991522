"""qbt-shim served against the fake TorBox (with its CDN) on the session's NATS and a fresh PostgreSQL,
and a client that logs in the way Sonarr does."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from libs.bus import Bus, ensure_streams
from services.qbt_shim.app import build
from services.qbt_shim.config import ShimConfig
from tests.conftest import make_settings
from tests.fakes.torbox import FakeTorBox
from tests.support.asgi import serving, serving_fake

TOKEN = "tb_shim_token_000000001"
PASSWORD = "qbt-pass-123"


def small_torrent(name: str, files: list[tuple[str, int]]) -> tuple[str, str, list[tuple[str, int]]]:
    """(hash, name, files) of a torrent small enough to download in a test."""
    return hashlib.sha1(name.encode()).hexdigest(), name, files


EPISODE = small_torrent("Show.S01E01.720p.WEB", [("Show.S01E01.720p.WEB.mkv", 3_000_000), ("Show.S01E01.nfo", 120)])
MOVIE = small_torrent("Film.2020.1080p.BluRay", [("Film.2020.1080p.BluRay.mkv", 2_500_000)])
UNCACHED = small_torrent("Rare.Film.1971.DVDRip", [("Rare.Film.1971.DVDRip.avi", 1_500_000)])


def magnet(torrent: tuple[str, str, list]) -> str:
    return f"magnet:?xt=urn:btih:{torrent[0]}&dn={torrent[1]}"


@dataclass
class Shim:
    client: httpx.AsyncClient
    base: str
    torbox: FakeTorBox
    root: Path
    app: object
    bus: Bus

    async def login(self) -> None:
        response = await self.client.post("/api/v2/auth/login", data={"username": "admin", "password": PASSWORD})
        assert response.text == "Ok.", response.text

    async def info(self, **params) -> list[dict]:
        response = await self.client.get("/api/v2/torrents/info", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    async def one(self, torrent_hash: str) -> dict:
        (found,) = await self.info(hashes=torrent_hash)
        return found


@pytest.fixture
async def torbox():
    fake = FakeTorBox(download_seconds=1.0)
    fake.add_account(TOKEN)
    for torrent in (EPISODE, MOVIE):
        fake.add_torrent(*torrent)
    fake.add_torrent(*UNCACHED, cached=False)
    async with serving_fake(fake):
        yield fake


def shim_settings(tmp_path, fresh_dsn, nats_url, torbox, **env):
    base = {
        "DATABASE_URL": fresh_dsn,
        "NATS_URL": nats_url,
        "TORBOX_API_URL": torbox.base_url,
        "QBT_TORBOX_TOKEN": TOKEN,
        "QBT_PASSWORD": PASSWORD,
        "DOWNLOAD_ROOT": str(tmp_path / "downloads"),
    }
    return make_settings(tmp_path, **{**base, **env})


SHIM_CONFIG = ShimConfig(
    poll_active_seconds=0.2,
    poll_idle_seconds=0.3,
    ban_after=5,
    ban_seconds=60,
    limit_retry_seconds=0.5,
    outage_retry_seconds=0.5,
)


@pytest.fixture
async def shim(tmp_path, fresh_dsn, nats_url, torbox):
    settings = shim_settings(tmp_path, fresh_dsn, nats_url, torbox)
    bus = await Bus.connect(nats_url, "tests")
    await ensure_streams(bus)
    await bus.js.purge_stream("TORRENT_STATUS")  # the events of this test only
    app = build(settings, SHIM_CONFIG)
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
        harness = Shim(client, base, torbox, settings.download_root, app, bus)
        await harness.login()
        yield harness
    await bus.close()
