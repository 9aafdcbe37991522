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
