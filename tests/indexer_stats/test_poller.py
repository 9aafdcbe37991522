"""The Prowlarr poller against the fake Prowlarr: metadata, counters, blocks; failures keep the last state."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.indexer_stats.conftest import search
from tests.support.alerts import raised


async def rows(stats):
    return {r["indexer_id"]: r for r in await stats.db.fetch("SELECT * FROM prowlarr_indexers ORDER BY indexer_id")}


async def test_metadata_counters_and_snapshots(stats, fake_prowlarr):
    fake_prowlarr.add_indexer(2, "PrivateOne", privacy="private", priority=5, movie_imdb=False, protocol="usenet")
    fake_prowlarr.indexers[1].queries, fake_prowlarr.indexers[1].grabs = 40, 7
    fake_prowlarr.indexers[1].failed_queries = 3
    assert await stats.service.poller.poll()
    indexers = await rows(stats)
    assert indexers[1]["supports_imdb"] and indexers[1]["supports_tv_imdb"] and indexers[1]["privacy"] == "public"
    assert indexers[1]["queries_total"] == 40 and indexers[1]["grabs_total"] == 7 and indexers[1]["failed_queries"] == 3
    assert indexers[2]["protocol"] == "usenet" and indexers[2]["priority"] == 5 and not indexers[2]["supports_imdb"]
    logs = await stats.db.fetch(
        "SELECT l.queries_count FROM prowlarr_indexer_logs l JOIN prowlarr_indexers i ON i.id = l.indexer_id"
    )
    history = await stats.db.fetchval("SELECT count(*) FROM prowlarr_stats_history")
    assert [r["queries_count"] for r in logs][-1] == 40 and history >= 1
    await stats.service.stats.refresh()
    shown = {v.id: v for v in stats.service.stats.indexer_views()}  # what /indexers/api/indexers answers
    assert (shown[1].prowlarr.queries, shown[1].prowlarr.grabs, shown[1].prowlarr.failed_queries) == (40, 7, 3)

    del fake_prowlarr.indexers[2]  # removed in Prowlarr: kept here with its history, but disabled
    await stats.service.poller.poll()
    assert not (await rows(stats))[2]["is_enabled"]


async def test_blocked_indexers_are_down_until_disabled_till(stats, fake_prowlarr):
    await stats.send([search(1, 100) for _ in range(5)])
    await stats.settled(5)
    till = datetime.now(UTC) + timedelta(minutes=30)
    fake_prowlarr.indexers[1].disabled_till = till
    await stats.service.poller.poll()
    await stats.service.stats.refresh()
    (view,) = (await stats.http.get("/indexers/api/indexers")).json()
    assert view["status"] == "down" and view["blockedByProwlarr"]
    assert abs((await rows(stats))[1]["disabled_till"] - till) < timedelta(seconds=1)
    fake_prowlarr.indexers[1].disabled_till = None
    await stats.service.poller.poll()
    await stats.service.stats.refresh()
    (view,) = (await stats.http.get("/indexers/api/indexers")).json()
    assert view["status"] == "operational"
    # down, then back: an alert each, once (the refreshes in between change nothing)
    await stats.service.stats.refresh()
    name = fake_prowlarr.indexers[1].name
    found = await raised(stats.bus, "indexer:1", 2)
    assert [(a.state, a.title) for a in found] == [
        ("failing", f"Indexer {name} is down"),
        ("recovered", f"Indexer {name} is back (operational)"),
    ]
    assert "Prowlarr has disabled it" in found[0].message


@pytest.mark.parametrize("failure", ["unauthorized", "broken", "garbage", "unreachable"])
async def test_a_failing_prowlarr_leaves_the_last_good_state(stats, fake_prowlarr, failure):
    fake_prowlarr.indexers[1].queries = 12
    assert await stats.service.poller.poll()
    before = dict((await rows(stats))[1])
    if failure == "unauthorized":
        fake_prowlarr.api_key = "rotated"
    elif failure == "broken":
        fake_prowlarr.broken = True
    elif failure == "garbage":
        fake_prowlarr.garbage = True
    else:
        stats.service.poller.client.base_url = "http://127.0.0.1:9"
    fake_prowlarr.indexers[1].queries = 99
    assert not await stats.service.poller.poll()
    after = dict((await rows(stats))[1])
    assert after["queries_total"] == before["queries_total"] == 12 and after["is_enabled"]
    health = await stats.http.get("/health")
    assert health.status_code == 200  # Prowlarr is not needed to serve
    assert health.json()["checks"]["prowlarr"]["ok"] is False
    assert "prowlarr-test-key" not in health.text and "rotated" not in health.text
