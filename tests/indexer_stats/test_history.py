"""Every search measured: what Sonarr and Radarr search and grab through Prowlarr is read from Prowlarr's
history and counted per indexer beside stream-proxy's own searches, each with who made it."""

from datetime import UTC, datetime

from libs.prowlarr import HistoryRecord
from services.indexer_stats.history import PAGE_SIZE, grab_of, search_of
from tests.indexer_stats.conftest import search


def record(event_type="indexerQuery", successful=True, **data):
    return HistoryRecord(
        id=7, indexer_id=1, date=datetime(2026, 12, 1, tzinfo=UTC), successful=successful, event_type=event_type,
        data=data,
    )  # fmt: skip


def test_what_a_history_record_counts_as():
    sonarr = search_of(record(source="Sonarr", elapsedTime="250", queryResults="12", query="Severance"))
    assert (sonarr.source, sonarr.duration_ms, sonarr.result_count, sonarr.outcome) == ("Sonarr", 250, 12, "success")
    assert sonarr.id == "prowlarr-history-7" and sonarr.query == "Severance"
    failed = search_of(record(successful=False, source="Radarr", elapsedTime="900", queryResults=None))
    assert (failed.outcome, failed.result_count) == ("failure", 0)
    assert search_of(record(source="Prowlarr", elapsedTime="100")) is None  # stream-proxy's: counted by it
    assert search_of(record("indexerRss", source="Sonarr")) is None  # an RSS sync is no search
    grab = grab_of(record("releaseGrabbed", source="Sonarr", grabMethod="Proxy", title="Severance.S02E03"))
    assert (grab.source, grab.title, grab.successful) == ("Sonarr", "Severance.S02E03", True)
    assert grab_of(record(source="Sonarr")) is None


def by_source(view) -> dict:
    return {s["source"]: s for s in view["sources"]}


async def test_sonarr_and_radarr_searches_are_counted_beside_stream_proxys(stats, fake_prowlarr):
    for ms in (200, 250, 300):
        fake_prowlarr.record_query(1, "Sonarr", ms, results=12, query="Severance")
    fake_prowlarr.record_query(1, "Radarr", 400, results=None, successful=False, imdb_id="tt0113277")
    fake_prowlarr.record_grab(1, "Sonarr", "Severance.S02E03.1080p")
    fake_prowlarr.record_query(1, "Prowlarr", 120)  # a search of Prowlarr's own API: stream-proxy's, skipped
    await stats.send([search(1, 100)])  # stream-proxy's own, measured by it
    await stats.settled(1)
    assert await stats.service.poller.poll()
    await stats.settled(5)
    (view,) = (await stats.http.get("/indexers/api/indexers")).json()
    sources = by_source(view)
    assert sources["Sonarr"] == {"source": "Sonarr", "searches24h": 3, "failures24h": 0, "avgMs": 250, "grabs24h": 1}
    assert (sources["Radarr"]["searches24h"], sources["Radarr"]["failures24h"]) == (1, 1)
    assert sources["stream-proxy"]["searches24h"] == 1 and "Prowlarr" not in sources
    assert view["requests24h"] == 5  # every search counts in the indexer's own figures too

    # read again: nothing counted twice; only what is new since is read, across pages
    assert await stats.service.poller.poll()
    for _ in range(PAGE_SIZE + 20):
        fake_prowlarr.record_query(1, "Sonarr", 100, results=1)
    assert await stats.service.poller.poll()
    await stats.settled(5 + PAGE_SIZE + 20)
    (view,) = (await stats.http.get("/indexers/api/indexers")).json()
    assert by_source(view)["Sonarr"]["searches24h"] == 3 + PAGE_SIZE + 20
    assert by_source(view)["Sonarr"]["grabs24h"] == 1
    page = (await stats.http.get("/indexers/")).text
    assert "Sonarr: 123 searches" in page and "1 grabs" in page


async def test_a_prowlarr_that_fails_mid_history_keeps_the_cursor(stats, fake_prowlarr):
    fake_prowlarr.record_query(1, "Sonarr", 200)
    assert await stats.service.poller.poll()
    before = await stats.db.fetchval("SELECT last_id FROM prowlarr_history_cursor")
    fake_prowlarr.record_query(1, "Sonarr", 200)
    fake_prowlarr.broken = True
    assert not await stats.service.poller.poll()
    assert await stats.db.fetchval("SELECT last_id FROM prowlarr_history_cursor") == before
    fake_prowlarr.broken = False
    assert await stats.service.poller.poll()
    assert await stats.db.fetchval("SELECT last_id FROM prowlarr_history_cursor") == before + 1
    assert await stats.db.fetchval("SELECT count(*) FROM prowlarr_search_logs WHERE source = 'Sonarr'") == 2
