"""torbox_usage_logs: written in batches, summarised per user and per key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg
import msgspec

from libs.db import rows_as


@dataclass(frozen=True)
class UsageRow:
    id: UUID
    user_id: UUID
    pool_key_id: UUID | None
    device_id: str | None
    action: str
    stream_type: str | None
    imdb_id: str | None
    torrent_hash: str | None
    was_cached: bool | None
    bytes: int | None
    timestamp: datetime


async def insert_many(db: asyncpg.Pool | asyncpg.Connection, rows: list[UsageRow]) -> int:
    """One statement for the whole batch; a row already stored (a redelivery) is skipped."""
    if not rows:
        return 0
    result = await db.execute(
        """
        INSERT INTO torbox_usage_logs (id, user_id, pool_key_id, device_id, action, stream_type, imdb_id,
                                       torrent_hash, was_cached, bytes, timestamp)
        SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[],
                             $7::text[], $8::text[], $9::bool[], $10::bigint[], $11::timestamptz[])
        ON CONFLICT (id) DO NOTHING
        """,
        *([getattr(r, f) for r in rows] for f in UsageRow.__dataclass_fields__),
    )
    return int(result.rsplit(" ", 1)[-1])


_SUMMARY = """
    SELECT {column}::text AS id, count(*) AS events,
           count(*) FILTER (WHERE action IN ('play', 'stream')) AS streams,
           count(*) FILTER (WHERE was_cached) AS cached,
           coalesce(sum(bytes), 0)::bigint AS bytes,
           min(timestamp) AS first_at, max(timestamp) AS last_at
    FROM torbox_usage_logs WHERE {column} IS NOT NULL GROUP BY {column} ORDER BY events DESC
"""


class UsageTotals(msgspec.Struct, frozen=True):
    id: str  # the user's or the key's
    events: int
    streams: int
    cached: int
    bytes: int
    first_at: datetime | None
    last_at: datetime | None


async def summary(db: asyncpg.Pool) -> tuple[list[UsageTotals], list[UsageTotals]]:
    by_user = rows_as(UsageTotals, await db.fetch(_SUMMARY.format(column="user_id")))
    by_key = rows_as(UsageTotals, await db.fetch(_SUMMARY.format(column="pool_key_id")))
    return by_user, by_key


class UsageDay(msgspec.Struct, frozen=True):
    day: datetime
    events: int
    streams: int
    cached: int
    bytes: int


async def daily(db: asyncpg.Pool, column: str, owner: UUID, days: int) -> list[UsageDay]:
    """One user's or one key's usage per day over the last `days`, days without any left out."""
    if column not in ("user_id", "pool_key_id"):
        raise ValueError(column)
    rows = await db.fetch(
        f"""
        SELECT date_trunc('day', timestamp) AS day, count(*) AS events,
               count(*) FILTER (WHERE action IN ('play', 'stream')) AS streams,
               count(*) FILTER (WHERE was_cached) AS cached, coalesce(sum(bytes), 0)::bigint AS bytes
        FROM torbox_usage_logs WHERE {column} = $1 AND timestamp > now() - make_interval(days => $2)
        GROUP BY 1 ORDER BY 1
        """,
        owner,
        days,
    )
    return rows_as(UsageDay, rows)


class KeyDay(msgspec.Struct, frozen=True):
    pool_key_id: UUID
    day: datetime
    streams: int


async def streams_by_key(db: asyncpg.Pool, days: int) -> list[KeyDay]:
    """Every key's streams per day over the last `days`, in one query (the admin page's chart)."""
    rows = await db.fetch(
        """
        SELECT pool_key_id, date_trunc('day', timestamp) AS day,
               count(*) FILTER (WHERE action IN ('play', 'stream')) AS streams
        FROM torbox_usage_logs WHERE pool_key_id IS NOT NULL AND timestamp > now() - make_interval(days => $1)
        GROUP BY 1, 2 ORDER BY 1, 2
        """,
        days,
    )
    return rows_as(KeyDay, rows)
