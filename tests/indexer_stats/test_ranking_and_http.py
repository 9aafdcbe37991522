"""indexer.ranking.get from memory, and the JSON under /indexers/api/."""

import pytest

from libs.schemas import INDEXER_RANKING_GET, RankingRequest
from tests.indexer_stats.conftest import hours_ago, search


async def ask(stats, protocol="torrent"):
    return (await stats.bus.request(INDEXER_RANKING_GET, RankingRequest(protocol=protocol), timeout=5)).indexers


async def test_ranking_follows_measurements_and_leaves_out_down_indexers(stats):
    await stats.send(
        [search(1, 150) for _ in range(20)]  # fast and reliable
        + [search(2, 800) for _ in range(20)]  # slow: degraded
        + [search(3, 100) for _ in range(10)]
        + [search(3, 100, "failure") for _ in range(10)]  # half fail: down
        + [search(4, 120) for _ in range(19)]
        + [search(4, 100, "timeout")]  # 95 %: still operational
    )
    await stats.settled(80)
    ranked = await ask(stats)
    assert [(r.id, r.status) for r in ranked] == [(1, "operational"), (4, "operational"), (2, "degraded")]
    assert all(1500 <= r.timeout_ms <= 10000 for r in ranked)


async def test_blocked_and_disabled_indexers_are_not_offered(stats):
    await stats.send([search(n, 100) for n in (1, 2, 3) for _ in range(3)])
    await stats.settled(9)
    await stats.db.execute(
        "UPDATE prowlarr_indexers SET disabled_till = now() + interval '1 hour' WHERE indexer_id = 2"
    )
    await stats.db.execute("UPDATE prowlarr_indexers SET is_enabled = false WHERE indexer_id = 3")
    await stats.service.stats.refresh()
    assert [r.id for r in await ask(stats)] == [1]
    views = {v["id"]: v for v in (await stats.http.get("/indexers/api/indexers")).json()}
    assert views[2]["status"] == "down" and views[2]["blockedByProwlarr"] and not views[3]["enabled"]


async def test_the_ranking_is_answered_without_the_database(stats):
    await stats.send([search(1, 100)])
    await stats.settled(1)
    await stats.db.execute("DROP TABLE prowlarr_search_logs CASCADE")  # were it consulted, this would fail
    assert [r.id for r in await ask(stats)] == [1]


async def test_indexer_json_has_the_contract_keys(stats):
    await stats.send([search(7, 300)])
    await stats.settled(1)
    (view,) = [v for v in (await stats.http.get("/indexers/api/indexers")).json() if v["id"] == 7]
    for key in (
        "id",
        "name",
        "status",
        "enabled",
        "requests24h",
        "successes24h",
        "failures24h",
        "timeouts24h",
        "avgMs",
        "p50Ms",
        "p95Ms",
        "successRate",
    ):
        assert key in view, key
    assert view["id"] == 7 and view["successRate"] == 100.0 and view["avgMs"] == 300


async def test_hours_and_global(stats):
    await stats.send([search(1, 100, at=hours_ago(3)), search(1, 300), search(2, 900, "timeout")])
    await stats.settled(3)
    hours = (await stats.http.get("/indexers/api/indexers/1/hours?hours=24")).json()
    assert [h["requests"] for h in hours] == [1, 1] and hours[-1]["avgMs"] == 300
    glob = (await stats.http.get("/indexers/api/global")).json()
    assert glob["totalSearches24h"] == 3 and glob["timeoutSearches24h"] == 1
    assert glob["slowestIndexer"] == "Indexer 2" and glob["mostReliableIndexer"] == "Indexer 1"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/indexers/api/indexers/abc/hours", 400),
        ("/indexers/api/indexers/999/hours", 404),
        ("/indexers/api/indexers/1/hours?hours=0", 422),
        ("/indexers/api/indexers/1/hours?hours=lots", 422),
        ("/indexers/api/nothing", 404),
    ],
)
async def test_bad_requests(stats, path, status):
    await stats.send([search(1, 100)])
    await stats.settled(1)
    response = await stats.http.get(path)
    assert response.status_code == status and response.json()["message"]


@pytest.mark.parametrize("path", ["/indexers/api/indexers", "/indexers/api/global", "/indexers/api/indexers/1/hours"])
async def test_the_admin_token_is_required(stats, path):
    assert (await stats.http.get(path, headers={"Authorization": ""})).status_code == 401
    assert (await stats.http.get(path, headers={"Authorization": "Bearer nope"})).status_code == 403
