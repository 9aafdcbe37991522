"""indexer.search ingested: search logs, hourly metrics and 24 h counters exact, redeliveries counted once."""

import asyncio

from libs.bus import Consumer
from libs.schemas import INDEXER_SEARCH
from tests.indexer_stats.conftest import hours_ago, search
from tests.support.asgi import eventually


async def test_searches_make_exact_hourly_metrics_and_counters(stats):
    now = [search(1, ms, results=5) for ms in (100, 200, 300, 400)]
    now += [search(1, 5000, "timeout"), search(1, 50, "failure", http_status=500, error_kind="http_error")]
    earlier = [search(1, 1000, at=hours_ago(2)), search(2, 700, at=hours_ago(2))]
    await stats.send(now + earlier)
    await stats.settled(8)
    from services.indexer_stats.repository.searches import refresh_percentiles

    await refresh_percentiles(stats.db)
    rows = await stats.db.fetch(
        """
        SELECT i.indexer_id, m.* FROM prowlarr_indexer_metrics m JOIN prowlarr_indexers i ON i.id = m.indexer_id
        ORDER BY i.indexer_id, m.hour_bucket DESC
        """
    )
    current = rows[0]
    assert (current["total_requests"], current["successful_requests"], current["failed_requests"]) == (6, 4, 1)
    assert current["timeout_requests"] == 1 and current["total_results_returned"] == 20
    assert (current["min_response_time"], current["max_response_time"]) == (50, 5000)
    assert current["avg_response_time"] == round((100 + 200 + 300 + 400 + 5000 + 50) / 6)
    assert current["p50_response_time"] == 250 and current["p95_response_time"] == round(400 + 0.75 * 4600)
    assert rows[1]["total_requests"] == 1 and rows[1]["avg_response_time"] == 1000

    await stats.service.stats.refresh()
    views = {v["id"]: v for v in (await stats.http.get("/indexers/api/indexers")).json()}
    assert views[1]["requests24h"] == 7 and views[1]["successes24h"] == 5
    assert views[1]["failures24h"] == 1 and views[1]["timeouts24h"] == 1
    assert views[2]["requests24h"] == 1 and views[2]["name"] == "Indexer 2"


async def test_every_total_is_exact_across_a_consumer_restart(stats):
    events = [search(n % 3 + 1, 100 + n % 50) for n in range(900)]
    await stats.app.state.nats_edge.consumers["indexer-stats-searches"].stop()  # drive the durable consumer ourselves
    consumer = Consumer(
        stats.bus, INDEXER_SEARCH, "indexer-stats-searches", stats.service.ingest.store, batch=100, fetch_timeout=0.2
    )
    consumer.start()
    await stats.send(events[:450])
    await eventually(lambda: stats.db.fetchval("SELECT count(*) >= 100 FROM prowlarr_search_logs"))
    await consumer.stop()
    await stats.send(events[450:])
    await stats.send(events[:100])  # sent twice: JetStream drops the duplicates
    consumer.start()
    await eventually(lambda: stats.db.fetchval("SELECT count(*) = 900 FROM prowlarr_search_logs"), timeout=30)
    await consumer.stop()
    await stats.service.ingest.store(events[:200])  # a redelivered batch
    totals = await stats.db.fetchrow(
        "SELECT sum(total_requests) AS requests, sum(sum_response_time) AS ms FROM prowlarr_indexer_metrics"
    )
    assert totals["requests"] == 900 and totals["ms"] == sum(e.duration_ms for e in events)
    assert await stats.db.fetchval("SELECT count(*) FROM prowlarr_search_logs") == 900


async def test_bad_events_are_terminated_not_redelivered(stats):
    await stats.bus.js.publish("indexer.search", b"not json", stream="INDEXER_SEARCH")
    await stats.bus.js.publish("indexer.search", b'{"indexerId": "x"}', stream="INDEXER_SEARCH")
    await stats.send([search(1, -5), search(1, 120)])
    await stats.settled(1)
    await asyncio.sleep(0.5)
    info = await stats.bus.js.consumer_info("INDEXER_SEARCH", "indexer-stats-searches")
    assert info.num_ack_pending == 0 and info.num_pending == 0
    assert await stats.db.fetchval("SELECT count(*) FROM prowlarr_search_logs") == 1


async def test_old_search_logs_are_pruned_in_batches(stats):
    from libs.retention import Retention, prune

    await stats.send([search(1, 100, at=hours_ago(24 * 40)) for _ in range(25)] + [search(1, 100) for _ in range(5)])
    await stats.settled(30)
    assert await prune(stats.db, Retention("prowlarr_search_logs", "timestamp", 30), batch=10) == 25
    assert await stats.db.fetchval("SELECT count(*) FROM prowlarr_search_logs") == 5
    # the hourly metrics keep the history the logs no longer hold
    assert await stats.db.fetchval("SELECT sum(total_requests) FROM prowlarr_indexer_metrics") == 30
