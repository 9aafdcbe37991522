"""Stremio's journey through Traefik only: an admin adds a pool key and a user, the user's Stremio lists an
episode's streams and plays one — with the real pool-allocator and indexer-stats, the fakes as upstreams."""

from contextlib import AsyncExitStack
from urllib.parse import unquote

import httpx
import pytest

from libs.embedded import free_port
from libs.schemas.stremio import AddonConfig, StoreConfig
from services.indexer_stats.app import build as build_stats
from services.indexer_stats.config import StatsConfig
from services.pool_allocator.app import build as build_pool
from services.pool_allocator.config import PoolConfig
from services.stream_proxy.addon_config import encode_config
from services.stream_proxy.app import build as build_proxy
from services.stream_proxy.config import StreamConfig
from tests.conftest import make_settings
from tests.fakes.catalogue import THRONES, hash_of, stock
from tests.fakes.cinemeta import FakeCinemeta
from tests.fakes.prowlarr import FakeProwlarr
from tests.fakes.torbox import FakeTorBox, file_bytes
from tests.support.asgi import eventually, serving, serving_fake
from tests.support.traefik import behind_traefik

POOL_KEY = "tb_pool_key_e2e_0000000001"


@pytest.fixture
async def stack(tmp_path, fresh_dsn, nats_url):
    prowlarr, torbox, cinemeta = FakeProwlarr(), FakeTorBox(), FakeCinemeta()
    stock(prowlarr, torbox, slow_seconds=4.0)
    torbox.add_account(POOL_KEY)
    async with AsyncExitStack() as stack:
        for fake in (prowlarr, torbox, cinemeta):
            await stack.enter_async_context(serving_fake(fake))
        settings = make_settings(
            tmp_path,
            DATABASE_URL=fresh_dsn,
            NATS_URL=nats_url,
            PROWLARR_URL=prowlarr.base_url,
            PROWLARR_API_KEY=prowlarr.api_key,
            TORBOX_API_URL=torbox.base_url,
            CINEMETA_URL=cinemeta.base_url,
        )
        apps = {
            "pool-allocator": build_pool(settings, PoolConfig(bcrypt_rounds=4, activity_flush_seconds=0.2)),
            "indexer-stats": build_stats(settings, StatsConfig(refresh_seconds=0.2, max_timeout_ms=3000)),
            "stream-proxy": build_proxy(settings, StreamConfig(cache_namespace=f"-e2e{free_port()}")),
        }
        backends = {name: await stack.enter_async_context(serving(app)) for name, app in apps.items()}
        public = await behind_traefik(stack, tmp_path, backends)
        client = await stack.enter_async_context(httpx.AsyncClient(base_url=public, timeout=30))
        yield client, settings, torbox, public


async def test_an_episode_is_listed_ranked_and_played_through_traefik(stack, spans):
    client, settings, _torbox, public = stack
    admin = {"Authorization": f"Bearer {settings.admin_token}"}
    assert (await client.post("/pool/keys", json={"apiKey": POOL_KEY}, headers=admin)).status_code == 201
    user = await client.post(
        "/pool/users", json={"email": "viewer@example.com", "password": "pw-123456"}, headers=admin
    )
    config = encode_config(AddonConfig(stores=[StoreConfig(c="tb", auth=user.json()["uuid"])]))

    manifest = await client.get(f"/stremio/torz/{config}/manifest.json")
    assert manifest.status_code == 200 and manifest.json()["behaviorHints"]["configurationRequired"] is False
    spans.clear()
    listed = await client.get(f"/stremio/torz/{config}/stream/series/{THRONES}:1:2.json", headers={"User-Agent": "TV"})
    streams = listed.json()["streams"]
    assert [s["description"].split("\n")[0] for s in streams] == [
        "Game.of.Thrones.S01.1080p.BluRay.x264-GRP",
        "Game.of.Thrones.S01E02.720p.HDTV.x264-GRP",
        "Game.of.Thrones.S01E02.2160p.WEB.h265-GRP",
    ]
    assert all(s["url"].startswith(public + "/stremio/torz/") for s in streams)  # reachable through Traefik

    # one trace for the request across the three services
    server = next(s for s in spans.get_finished_spans() if s.name.startswith("GET /stremio/torz/{config}/stream"))
    scopes = {
        s.instrumentation_scope.name
        for s in spans.get_finished_spans()
        if s.context.trace_id == server.context.trace_id
    }
    assert {"stream-proxy", "pool-allocator", "indexer-stats"} <= scopes

    played = await client.get(streams[0]["url"], headers={"User-Agent": "TV"})
    assert played.status_code == 302
    location = played.headers["location"]
    name = "Game.of.Thrones.S01E02.1080p.BluRay.x264-GRP.mkv"
    assert unquote(location).endswith("/" + name) and POOL_KEY not in location
    async with httpx.AsyncClient() as cdn:
        head = await cdn.get(location, headers={"Range": "bytes=0-15"})
    pack = "Game.of.Thrones.S01.1080p.BluRay.x264-GRP"
    assert head.content == file_bytes(hash_of(pack), f"{pack}/{name}", 0, 15)

    async def searches_counted():
        rows = (await client.get("/indexers/api/indexers", headers=admin)).json()
        by_name = {row["name"]: row for row in rows}
        return by_name.get("Fast", {}).get("requests24h") and by_name.get("Slow", {}).get("timeouts24h") and by_name

    shown = await eventually(searches_counted)
    assert shown["Fast"]["successes24h"] >= 1 and shown["Slow"]["timeouts24h"] >= 1
