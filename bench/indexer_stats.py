"""indexer-stats under load: the service runs as its own process on the embedded PostgreSQL and NATS.

1. 1,000,000 search logs (spread over 30 days, 20 indexers) are loaded by SQL, with their hourly metrics.
2. Ingest: `--events` `indexer.search` events are published before the service starts (a backlog, so the
   publisher's own speed does not limit the figure); the service's rate of storing them is measured from
   the first stored row to the last.
3. `GET /indexers/api/indexers` and `/indexers/api/global` with 8 requests in flight: p50/p95 latency;
   `indexer.ranking.get` over NATS, one at a time (what stream-proxy waits for): p50/p99.
4. The service's peak RSS (VmHWM).

    .venv/bin/python bench/indexer_stats.py [--events 100000] [--logs 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402

from bench.common import healthy, machine, peak_rss_mib, service_env  # noqa: E402
from libs.bus import Bus, ensure_streams, publish  # noqa: E402
from libs.config import load_settings  # noqa: E402
from libs.db import create_pool  # noqa: E402
from libs.embedded import EmbeddedNats, EmbeddedPostgres, free_port, wait_for  # noqa: E402
from libs.schemas import INDEXER_RANKING_GET, INDEXER_SEARCH, IndexerSearch, RankingRequest  # noqa: E402


async def load_history(db, logs: int) -> None:
    await db.execute(
        "INSERT INTO prowlarr_indexers (indexer_id, indexer_name) "
        "SELECT n, 'Indexer ' || n FROM generate_series(1, 20) n"
    )
    await db.execute(
        """
        INSERT INTO prowlarr_search_logs (id, indexer_id, search_id, response_time, results_count, was_successful,
                                          outcome, timestamp)
        SELECT gen_random_uuid(), i.id, 'seed', 50 + (random() * 1500)::int, (random() * 40)::int, random() > 0.05,
               CASE WHEN random() > 0.05 THEN 'success' ELSE 'failure' END,
               now() - random() * interval '30 days'
        FROM generate_series(1, $1) n JOIN prowlarr_indexers i ON i.indexer_id = 1 + n % 20
        """,
        logs,
    )
    await db.execute(
        """
        INSERT INTO prowlarr_indexer_metrics (indexer_id, hour_bucket, total_requests, successful_requests,
            failed_requests, avg_response_time, min_response_time, max_response_time, total_results_returned,
            sum_response_time)
        SELECT indexer_id, date_trunc('hour', timestamp), count(*), count(*) FILTER (WHERE was_successful),
               count(*) FILTER (WHERE NOT was_successful), avg(response_time), min(response_time),
               max(response_time), sum(results_count), sum(response_time)
        FROM prowlarr_search_logs GROUP BY 1, 2
        """
    )
    await db.execute("ANALYZE")


async def main(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-indexers-"))
    postgres = EmbeddedPostgres(work / "pg").start()
    nats = EmbeddedNats(work / "nats").start()
    port = free_port()
    env = service_env(work, postgres.dsn, nats.url, port)
    bus = await Bus.connect(nats.url, "bench")
    await ensure_streams(bus)
    published = time.perf_counter()
    for start in range(0, args.events, 1000):
        await asyncio.gather(
            *(
                publish(
                    bus,
                    INDEXER_SEARCH,
                    IndexerSearch(
                        search_id="b",
                        indexer_id=1 + n % 20,
                        duration_ms=100 + n % 900,
                        outcome="success",
                        result_count=5,
                        at=datetime.now(UTC),
                    ),
                )
                for n in range(start, min(args.events, start + 1000))
            )
        )
    print(f"published a backlog of {args.events:,} events in {time.perf_counter() - published:.1f} s")
    db = await create_pool(postgres.dsn, min_size=1, max_size=2)
    service = None
    try:
        # the schema first (the service would create it), then the history, then the service
        from libs.db import migrate

        await migrate(db, "indexer-stats", ROOT / "services" / "indexer_stats" / "migrations")
        loaded = time.perf_counter()
        loader = await asyncpg.connect(postgres.dsn)  # no command timeout: the load takes a while
        await load_history(loader, args.logs)
        await loader.close()
        print(f"loaded {args.logs:,} search logs in {time.perf_counter() - loaded:.1f} s")
        service = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.indexer_stats", cwd=ROOT, env=env
        )
        # counted from the hourly metrics (small), not the logs (a count over a million rows would load the
        # database it measures)
        counted = "SELECT coalesce(sum(total_requests), 0) FROM prowlarr_indexer_metrics"
        base = await db.fetchval(counted)
        first_at = None
        while True:
            stored = await db.fetchval(counted) - base
            now = time.perf_counter()
            if stored > 0 and first_at is None:
                first_at, first_count = now, stored
            if stored >= args.events:
                break
            await asyncio.sleep(0.1)
        ingest_seconds = now - first_at
        rate = (args.events - first_count) / ingest_seconds
        wait_for(lambda: healthy(port), 60, "indexer-stats")
        settings = load_settings(env, dotenv=work / "none")
        headers = {"Authorization": f"Bearer {settings.admin_token}"}
        latencies: list[float] = []
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:

            async def worker() -> None:
                for n in range(100):
                    path = "/indexers/api/indexers" if n % 2 else "/indexers/api/global"
                    t0 = time.perf_counter()
                    (await client.get(path)).raise_for_status()
                    latencies.append(time.perf_counter() - t0)

            await asyncio.gather(*(worker() for _ in range(8)))
        latencies.sort()
        ranking: list[float] = []
        for _ in range(2000):
            t0 = time.perf_counter()
            reply = await bus.request(INDEXER_RANKING_GET, RankingRequest(protocol="torrent"), timeout=5)
            ranking.append(time.perf_counter() - t0)
            assert reply.indexers
        ranking.sort()
        print(machine())
        print(f"ingest: {args.events:,} events stored at {rate:,.0f} events/s sustained ({ingest_seconds:.1f} s)")
        print(
            f"JSON with {args.logs:,} logs, 8 in flight: p50 {1000 * statistics.median(latencies):.1f} ms, "
            f"p95 {1000 * latencies[int(0.95 * len(latencies))]:.1f} ms"
        )
        print(
            f"indexer.ranking.get, one at a time over NATS: p50 {1000 * statistics.median(ranking):.2f} ms, "
            f"p99 {1000 * ranking[int(0.99 * len(ranking))]:.2f} ms"
        )
        print(f"service peak RSS: {peak_rss_mib(service.pid):.0f} MiB")
        await bus.close()
        await db.close()
    finally:
        if service is not None:
            service.terminate()
            await service.wait()
        nats.stop()
        postgres.stop()


if __name__ == "__main__":
    cli = argparse.ArgumentParser()
    cli.add_argument("--events", type=int, default=100_000)
    cli.add_argument("--logs", type=int, default=1_000_000)
    asyncio.run(main(cli.parse_args()))
