"""Prowlarr's history as kept here: the grabs read from it, and how far it has been read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg


@dataclass(frozen=True)
class GrabRow:
    id: UUID
    prowlarr_indexer_id: int
    source: str
    successful: bool
    title: str | None
    timestamp: datetime


async def cursor(db: asyncpg.Pool | asyncpg.Connection) -> int | None:
    return await db.fetchval("SELECT last_id FROM prowlarr_history_cursor")


async def store_grabs(conn: asyncpg.Connection, rows: list[GrabRow], ids: dict[int, UUID]) -> int:
    """The grabs (a record read twice is kept once); how many were new."""
    stored = await conn.fetchval(
        """
        WITH inserted AS (
            INSERT INTO prowlarr_grabs (id, indexer_id, source, successful, title, timestamp)
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bool[], $5::text[], $6::timestamptz[])
            ON CONFLICT (id) DO NOTHING RETURNING 1
        )
        SELECT count(*) FROM inserted
        """,
        [r.id for r in rows], [ids[r.prowlarr_indexer_id] for r in rows], [r.source for r in rows],
        [r.successful for r in rows], [r.title for r in rows], [r.timestamp for r in rows],
    )  # fmt: skip
    return stored


async def move_cursor(conn: asyncpg.Connection, last_id: int) -> None:
    await conn.execute(
        """
        INSERT INTO prowlarr_history_cursor (id, last_id) VALUES (true, $1)
        ON CONFLICT (id) DO UPDATE SET last_id = greatest(prowlarr_history_cursor.last_id, $1), updated_at = now()
        """,
        last_id,
    )


@dataclass(frozen=True)
class SourceFigures:
    indexer_id: int  # Prowlarr's
    source: str
    searches: int
    failures: int
    avg_ms: int | None
    grabs: int


async def by_source(db: asyncpg.Pool | asyncpg.Connection, hours: int = 24) -> list[SourceFigures]:
    """Per indexer and per source, the last `hours`: searches, failed ones, their average time, grabs."""
    rows = await db.fetch(
        """
        WITH searched AS (
            SELECT indexer_id, source, count(*) AS searches, count(*) FILTER (WHERE NOT was_successful) AS failures,
                   round(avg(response_time))::int AS avg_ms
            FROM prowlarr_search_logs WHERE timestamp > now() - make_interval(hours => $1) GROUP BY 1, 2
        ), grabbed AS (
            SELECT indexer_id, source, count(*) AS grabs
            FROM prowlarr_grabs WHERE timestamp > now() - make_interval(hours => $1) GROUP BY 1, 2
        )
        SELECT i.indexer_id, coalesce(s.source, g.source) AS source, coalesce(s.searches, 0)::int AS searches,
               coalesce(s.failures, 0)::int AS failures, s.avg_ms, coalesce(g.grabs, 0)::int AS grabs
        FROM searched s FULL JOIN grabbed g ON g.indexer_id = s.indexer_id AND g.source = s.source
        JOIN prowlarr_indexers i ON i.id = coalesce(s.indexer_id, g.indexer_id)
        ORDER BY 1, 2
        """,
        hours,
    )
    return [SourceFigures(**dict(row)) for row in rows]
