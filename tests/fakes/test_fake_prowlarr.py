"""The fake Prowlarr behaves as the reference says Prowlarr does."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.fakes.prowlarr import FakeProwlarr, Release
from tests.support.asgi import serving_fake

MATRIX = Release("The.Matrix.1999.1080p.BluRay.x264", "c" * 40, 8_000_000_000, 120, imdb_id=133093)
EPISODE = Release("Show.S01E02.720p", "d" * 40, 500_000_000, 30, imdb_id=944947, season=1, episode=2)


@pytest.fixture
async def prowlarr():
    fake = FakeProwlarr()
    fake.add_indexer(1, "One", releases=[MATRIX, EPISODE])
    fake.add_indexer(2, "Two", releases=[MATRIX], fail_with=500)
    async with serving_fake(fake):
        async with httpx.AsyncClient(base_url=fake.base_url, headers={"X-Api-Key": fake.api_key}) as client:
            yield fake, client


async def test_auth(prowlarr):
    fake, client = prowlarr
    assert (await client.get("/api/v1/indexer", headers={"X-Api-Key": "no"})).status_code == 401
    assert (await client.get(f"/api/v1/indexer?apikey={fake.api_key}", headers={"X-Api-Key": ""})).status_code == 200
    bearer = await client.get("/api/v1/indexer", headers={"X-Api-Key": "", "Authorization": f"Bearer {fake.api_key}"})
    assert bearer.status_code == 200


async def test_search_by_imdb_in_the_query(prowlarr):
    fake, client = prowlarr
    movie = (await client.get("/api/v1/search", params={"query": "{ImdbId:tt0133093}", "type": "movie"})).json()
    assert [r["title"] for r in movie] == [MATRIX.title]  # indexer 2 failed: left out, still 200
    assert movie[0]["infoHash"] == MATRIX.info_hash.upper() and movie[0]["imdbId"] == 133093
    episode = await client.get(
        "/api/v1/search", params={"query": "{ImdbId:tt0944947}{Season:1}{Episode:2}", "type": "tvsearch"}
    )
    assert [r["title"] for r in episode.json()] == [EPISODE.title]
    wrong = await client.get(
        "/api/v1/search", params={"query": "{ImdbId:tt0944947}{Season:1}{Episode:3}", "type": "tvsearch"}
    )
    assert wrong.json() == []
    assert fake.indexers[2].failed_queries == 3


async def test_all_selected_indexers_blocked_is_400(prowlarr):
    fake, client = prowlarr
    fake.indexers[1].disabled_till = datetime.now(UTC) + timedelta(hours=1)
    response = await client.get("/api/v1/search", params=[("query", "x"), ("indexerIds", "1")])
    assert response.status_code == 400
    status = (await client.get("/api/v1/indexerstatus")).json()
    assert [s["indexerId"] for s in status] == [1]


async def test_download_link_is_a_301_to_the_magnet(prowlarr):
    _, client = prowlarr
    (release,) = (
        await client.get(
            "/api/v1/search", params=[("query", "{ImdbId:tt0133093}"), ("type", "movie"), ("indexerIds", "1")]
        )
    ).json()
    async with httpx.AsyncClient(follow_redirects=False) as plain:
        response = await plain.get(release["downloadUrl"])
    assert response.status_code == 301 and response.headers["location"].startswith(f"magnet:?xt=urn:btih:{'c' * 40}")
    stats = (await client.get("/api/v1/indexerstats")).json()
    assert {i["indexerId"]: i["numberOfGrabs"] for i in stats["indexers"]}[1] == 1
