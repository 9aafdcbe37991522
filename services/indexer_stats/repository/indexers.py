"""prowlarr_indexers: what is known of each indexer, its 24 h counters and status; the global row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec

from libs.db import rows_as


@dataclass(frozen=True)
class IndexerFigures:
    """One indexer's facts and recent figures, as the status and ranking need them."""

    id: UUID
    prowlarr_id: int
    name: str
    enabled: bool
    protocol: str
    priority: int
    supports_imdb: bool
    supports_tv_imdb: bool
    blocked: bool  # Prowlarr disabled it until a time still to come
    window_searches: int
    window_successes: int
    window_avg_ms: float | None
    requests_24h: int
    successes_24h: int
    failures_24h: int
    timeouts_24h: int
    avg_ms_24h: float | None
    p50_ms: float | None
    p95_ms: float | None
    prowlarr: tuple[int, int, int, int, int, int, int | None] = (0, 0, 0, 0, 0, 0, None)  # see ProwlarrCounters
    idle_seconds: float | None = None  # since its last search (None: none within 24 h)
    last_ok: bool | None = None  # how its last search went
    last_ms: float | None = None  # and how long it took


async def figures(db: asyncpg.Pool | asyncpg.Connection, window: int) -> list[IndexerFigures]:
    """Every indexer with its last `window` searches of the day and its 24 h counters, in one query."""
    rows = await db.fetch(
        """
        SELECT i.id, i.indexer_id AS prowlarr_id, i.indexer_name AS name, i.is_enabled AS enabled, i.protocol,
               i.priority, i.supports_imdb, i.supports_tv_imdb,
               coalesce(i.disabled_till > now(), false) AS blocked,
               coalesce(w.searches, 0) AS window_searches, coalesce(w.successes, 0) AS window_successes,
               w.avg_ms AS window_avg_ms,
               coalesce(d.requests, 0) AS requests_24h, coalesce(d.successes, 0) AS successes_24h,
               coalesce(d.failures, 0) AS failures_24h, coalesce(d.timeouts, 0) AS timeouts_24h,
               d.avg_ms AS avg_ms_24h, i.median_response_time::float8 AS p50_ms,
               i.p95_response_time::float8 AS p95_ms,
               ARRAY[i.queries_total, i.grabs_total, i.failed_queries, i.failed_grabs, i.rss_queries, i.auth_queries,
                     i.avg_grab_response_time] AS prowlarr,
               extract(epoch FROM now() - last.timestamp)::float8 AS idle_seconds, last.was_successful AS last_ok,
               last.response_time::float8 AS last_ms
        FROM prowlarr_indexers i
        LEFT JOIN LATERAL (
            SELECT timestamp, was_successful, response_time FROM prowlarr_search_logs l
            WHERE l.indexer_id = i.id AND l.timestamp > now() - interval '24 hours'
            ORDER BY l.timestamp DESC LIMIT 1
        ) last ON true
        LEFT JOIN LATERAL (
            SELECT count(*) AS searches, count(*) FILTER (WHERE was_successful) AS successes,
                   avg(response_time)::float8 AS avg_ms
            FROM (SELECT was_successful, response_time FROM prowlarr_search_logs l
                  WHERE l.indexer_id = i.id AND l.timestamp > now() - interval '24 hours'
                  ORDER BY l.timestamp DESC LIMIT $1) recent
        ) w ON true
        LEFT JOIN LATERAL (
            SELECT sum(total_requests)::int AS requests, sum(successful_requests)::int AS successes,
                   sum(failed_requests)::int AS failures, sum(timeout_requests)::int AS timeouts,
                   (sum(sum_response_time)::float8 / nullif(sum(total_requests), 0)) AS avg_ms
            FROM prowlarr_indexer_metrics m
            WHERE m.indexer_id = i.id AND m.hour_bucket > now() - interval '24 hours'
        ) d ON true
        ORDER BY i.indexer_id
        """,
        window,
    )
    return [IndexerFigures(**(dict(r) | {"prowlarr": tuple(r["prowlarr"])})) for r in rows]


async def save_status(conn: asyncpg.Connection, updates: Sequence[tuple]) -> dict[UUID, str | None]:
    """(id, status, success_rate, requests, successes, failures, timeouts, avg ms) per indexer, inside the
    caller's transaction; the status each had before (its row locked: replicas saving at once see each
    change once)."""
    if not updates:
        return {}
    columns = list(zip(*updates, strict=True))
    before = await conn.fetch(
        "SELECT id, status FROM prowlarr_indexers WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE", list(columns[0])
    )
    await conn.execute(
        """
        UPDATE prowlarr_indexers i SET
            status = u.status, success_rate = u.success_rate, total_requests_24h = u.requests,
            successful_requests_24h = u.successes, failed_requests_24h = u.failures, timeout_count_24h = u.timeouts,
            avg_response_time = u.avg_ms, last_check_at = now(), updated_at = now()
        FROM unnest($1::uuid[], $2::text[], $3::numeric[], $4::int[], $5::int[], $6::int[], $7::int[], $8::int[])
             AS u(id, status, success_rate, requests, successes, failures, timeouts, avg_ms)
        WHERE i.id = u.id
        """,
        *[list(c) for c in columns],
    )
    return {row["id"]: row["status"] for row in before}


async def refresh_global(db: asyncpg.Pool | asyncpg.Connection) -> None:
    """The single row of figures across indexers, from the day's hourly metrics and the indexers' rows
    (its p95 is the percentile job's: see `searches.refresh_percentiles`)."""
    await db.execute(
        """
        WITH day AS (
            SELECT coalesce(sum(total_requests), 0)::int AS total,
                   coalesce(sum(successful_requests), 0)::int AS ok,
                   coalesce(sum(failed_requests), 0)::int AS failed,
                   coalesce(sum(timeout_requests), 0)::int AS timeouts,
                   round(sum(sum_response_time)::numeric / nullif(sum(total_requests), 0))::int AS avg_ms
            FROM prowlarr_indexer_metrics WHERE hour_bucket > now() - interval '24 hours'
        ), slowest AS (
            SELECT id, avg_response_time FROM prowlarr_indexers
            WHERE avg_response_time IS NOT NULL AND total_requests_24h > 0
            ORDER BY avg_response_time DESC, indexer_id LIMIT 1
        ), reliable AS (
            SELECT id, success_rate FROM prowlarr_indexers
            WHERE success_rate IS NOT NULL AND total_requests_24h > 0
            ORDER BY success_rate DESC, total_requests_24h DESC, indexer_id LIMIT 1
        )
        UPDATE prowlarr_global_stats g SET
            total_searches_24h = day.total, successful_searches_24h = day.ok, failed_searches_24h = day.failed,
            timeout_searches_24h = day.timeouts, avg_response_time_24h = day.avg_ms,
            slowest_indexer_id = (SELECT id FROM slowest),
            slowest_indexer_avg_time = (SELECT avg_response_time FROM slowest),
            most_reliable_indexer_id = (SELECT id FROM reliable),
            most_reliable_success_rate = (SELECT success_rate FROM reliable),
            last_updated_at = now()
        FROM day WHERE g.id = 1
        """
    )


class GlobalRow(msgspec.Struct, frozen=True):
    total_searches_24h: int
    successful_searches_24h: int
    failed_searches_24h: int
    timeout_searches_24h: int
    avg_response_time_24h: int | None
    p95_response_time_24h: int | None
    slowest_name: str | None
    slowest_indexer_avg_time: int | None
    reliable_name: str | None
    most_reliable_success_rate: float | None
    last_updated_at: datetime


class HourRow(msgspec.Struct, frozen=True):
    """One indexer-hour of prowlarr_indexer_metrics (the indexer named for the charts of every indexer)."""

    hour_bucket: datetime
    total_requests: int
    successful_requests: int
    p50_response_time: int | None
    p95_response_time: int | None
    failed_requests: int = 0
    timeout_requests: int = 0
    avg_response_time: int | None = None
    min_response_time: int | None = None
    max_response_time: int | None = None
    total_results_returned: int = 0
    indexer_id: int | None = None  # Prowlarr's id, in every indexer's hours
    indexer_name: str | None = None


async def global_row(db: asyncpg.Pool) -> GlobalRow:
    found = await db.fetchrow(
        """
        SELECT g.total_searches_24h, g.successful_searches_24h, g.failed_searches_24h, g.timeout_searches_24h,
               g.avg_response_time_24h, g.p95_response_time_24h, g.slowest_indexer_avg_time,
               g.most_reliable_success_rate::float8 AS most_reliable_success_rate, g.last_updated_at,
               s.indexer_name AS slowest_name, r.indexer_name AS reliable_name
        FROM prowlarr_global_stats g
        LEFT JOIN prowlarr_indexers s ON s.id = g.slowest_indexer_id
        LEFT JOIN prowlarr_indexers r ON r.id = g.most_reliable_indexer_id
        WHERE g.id = 1
        """
    )
    return msgspec.convert(dict(found), GlobalRow)  # the row is made by the migration: always there


async def hourly(db: asyncpg.Pool, prowlarr_id: int, hours: int) -> list[HourRow]:
    found = await db.fetch(
        """
        SELECT m.hour_bucket, m.total_requests, m.successful_requests, m.failed_requests, m.timeout_requests,
               m.avg_response_time, m.min_response_time, m.max_response_time, m.p50_response_time,
               m.p95_response_time, m.total_results_returned
        FROM prowlarr_indexer_metrics m JOIN prowlarr_indexers i ON i.id = m.indexer_id
        WHERE i.indexer_id = $1 AND m.hour_bucket > now() - make_interval(hours => $2)
        ORDER BY m.hour_bucket
        """,
        prowlarr_id,
        hours,
    )
    return rows_as(HourRow, found)


async def hourly_all(db: asyncpg.Pool, hours: int) -> list[HourRow]:
    """Every indexer's hourly figures over the last `hours`, for the charts (one query)."""
    found = await db.fetch(
        """
        SELECT i.indexer_id, i.indexer_name, m.hour_bucket, m.total_requests, m.successful_requests,
               m.p50_response_time, m.p95_response_time
        FROM prowlarr_indexer_metrics m JOIN prowlarr_indexers i ON i.id = m.indexer_id
        WHERE m.hour_bucket > now() - make_interval(hours => $1)
        ORDER BY i.indexer_id, m.hour_bucket
        """,
        hours,
    )
    return rows_as(HourRow, found)
