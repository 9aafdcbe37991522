"""prowlarr_search_logs and prowlarr_indexer_metrics: a batch of searches stored with its hourly metrics,
in one statement, counting only the rows that were new (a redelivered search is stored and counted once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg


@dataclass(frozen=True)
class SearchRow:
    id: UUID
    indexer_id: UUID
    search_id: str
    search_query: str
    search_type: str
    imdb_id: str | None
    response_time: int
    http_status: int | None
    results_count: int
    was_successful: bool
    outcome: str
    error_type: str | None
    timestamp: datetime
    source: str = "stream-proxy"  # or the application that searched through Prowlarr (Sonarr, Radarr)


async def indexer_ids(conn: asyncpg.Connection, known: dict[int, str]) -> dict[int, UUID]:
    """Our ids for Prowlarr's indexer ids, creating a row for an indexer seen first in a search. Existing
    rows are only read, never locked: two batches at once cannot deadlock here."""
    await conn.execute(
        """
        INSERT INTO prowlarr_indexers (indexer_id, indexer_name)
        SELECT * FROM unnest($1::int[], $2::text[]) ON CONFLICT (indexer_id) DO NOTHING
        """,
        list(known),
        list(known.values()),
    )
    rows = await conn.fetch(
        "SELECT id, indexer_id FROM prowlarr_indexers WHERE indexer_id = ANY($1::int[])", list(known)
    )
    return {r["indexer_id"]: r["id"] for r in rows}


async def store(conn: asyncpg.Connection, rows: list[SearchRow]) -> int:
    """Insert the searches and add the new ones to their hourly metrics; returns how many were new."""
    columns = [[getattr(r, f) for r in rows] for f in SearchRow.__dataclass_fields__]
    return await conn.fetchval(
        """
        WITH inserted AS (
            INSERT INTO prowlarr_search_logs (id, indexer_id, search_id, search_query, search_type, imdb_id,
                                              response_time, http_status, results_count, was_successful,
                                              outcome, error_type, timestamp, source)
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
                                 $7::int[], $8::int[], $9::int[], $10::bool[], $11::text[], $12::text[],
                                 $13::timestamptz[], $14::text[])
            ON CONFLICT (id) DO NOTHING
            RETURNING indexer_id, timestamp, response_time, outcome, results_count
        ), hourly AS (
            INSERT INTO prowlarr_indexer_metrics AS m (
                indexer_id, hour_bucket, total_requests, successful_requests, failed_requests, timeout_requests,
                avg_response_time, min_response_time, max_response_time, total_results_returned, sum_response_time)
            SELECT indexer_id, date_trunc('hour', timestamp), count(*),
                   count(*) FILTER (WHERE outcome = 'success'), count(*) FILTER (WHERE outcome = 'failure'),
                   count(*) FILTER (WHERE outcome = 'timeout'), round(avg(response_time)),
                   min(response_time), max(response_time), sum(results_count), sum(response_time)
            FROM inserted GROUP BY 1, 2
            ORDER BY 1, 2  -- rows locked in one order: two batches at once cannot deadlock
            ON CONFLICT (indexer_id, hour_bucket) DO UPDATE SET
                total_requests = m.total_requests + EXCLUDED.total_requests,
                successful_requests = m.successful_requests + EXCLUDED.successful_requests,
                failed_requests = m.failed_requests + EXCLUDED.failed_requests,
                timeout_requests = m.timeout_requests + EXCLUDED.timeout_requests,
                sum_response_time = m.sum_response_time + EXCLUDED.sum_response_time,
                avg_response_time = round((m.sum_response_time + EXCLUDED.sum_response_time)::numeric
                                          / (m.total_requests + EXCLUDED.total_requests)),
                min_response_time = least(m.min_response_time, EXCLUDED.min_response_time),
                max_response_time = greatest(m.max_response_time, EXCLUDED.max_response_time),
                total_results_returned = m.total_results_returned + EXCLUDED.total_results_returned,
                updated_at = now()
            RETURNING 1
        )
        SELECT count(*) FROM inserted
        """,
        *columns,
    )


async def refresh_percentiles(db: asyncpg.Pool | asyncpg.Connection, buckets: int = 500) -> int:
    """p50/p95 from the logs: of every hour bucket changed since they were last computed, and of each
    indexer's last 24 h. Percentiles do not add up, so they are computed, not accumulated."""
    await db.execute(
        """
        UPDATE prowlarr_indexers i SET median_response_time = round(c.p50), p95_response_time = round(c.p95)
        FROM (SELECT indexer_id,
                     percentile_cont(0.5) WITHIN GROUP (ORDER BY response_time) AS p50,
                     percentile_cont(0.95) WITHIN GROUP (ORDER BY response_time) AS p95
              FROM prowlarr_search_logs WHERE timestamp > now() - interval '24 hours' GROUP BY indexer_id) c
        WHERE i.id = c.indexer_id
        """
    )
    await db.execute(
        """
        UPDATE prowlarr_global_stats SET p95_response_time_24h = (
            SELECT round(percentile_cont(0.95) WITHIN GROUP (ORDER BY response_time))
            FROM prowlarr_search_logs WHERE timestamp > now() - interval '24 hours')
        WHERE id = 1
        """
    )
    result = await db.execute(
        """
        WITH stale AS (
            -- rows the ingest is updating right now are skipped (no waiting, no deadlock): next time
            SELECT id, indexer_id, hour_bucket FROM prowlarr_indexer_metrics
            WHERE percentiles_at IS NULL OR percentiles_at < updated_at
            ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
        ), computed AS (
            SELECT s.id,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY l.response_time) AS p50,
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY l.response_time) AS p95
            FROM stale s JOIN prowlarr_search_logs l
              ON l.indexer_id = s.indexer_id AND l.timestamp >= s.hour_bucket
             AND l.timestamp < s.hour_bucket + interval '1 hour'
            GROUP BY s.id
        )
        UPDATE prowlarr_indexer_metrics m
        SET p50_response_time = round(c.p50), p95_response_time = round(c.p95), percentiles_at = now()
        FROM computed c WHERE m.id = c.id
        """,
        buckets,
    )
    return int(result.rsplit(" ", 1)[-1])
