"""torbox_concurrency_log: stream sessions, and the pool counter kept equal to the open ones.

Every change takes the pool's row lock first, so the counter moves with the sessions it counts.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg
import msgspec

from libs.db import row_as


async def held_slot_on(conn: asyncpg.Connection, user_id: UUID, pool_key_id: UUID) -> UUID | None:
    return await conn.fetchval(
        "SELECT id FROM torbox_slots WHERE user_id = $1 AND pool_key_id = $2", user_id, pool_key_id
    )


class StreamCapacity(msgspec.Struct, frozen=True):
    current_concurrent_streams: int
    max_concurrent_streams: int


async def lock_pool_streams(conn: asyncpg.Connection, pool_key_id: UUID) -> StreamCapacity | None:
    locked = await conn.fetchrow(
        "SELECT current_concurrent_streams, max_concurrent_streams FROM torbox_pool WHERE id = $1 FOR UPDATE",
        pool_key_id,
    )
    return row_as(StreamCapacity, locked)


async def open_session(
    conn: asyncpg.Connection, pool_key_id: UUID, user_id: UUID, slot_id: UUID, device_id: str, torrent_hash: str | None
) -> UUID:
    session_id = await conn.fetchval(
        """
        INSERT INTO torbox_concurrency_log (pool_key_id, user_id, slot_id, device_id, torrent_hash)
        VALUES ($1, $2, $3, $4, $5) RETURNING id
        """,
        pool_key_id,
        user_id,
        slot_id,
        device_id,
        torrent_hash,
    )
    await conn.execute(
        "UPDATE torbox_pool SET current_concurrent_streams = current_concurrent_streams + 1 WHERE id = $1",
        pool_key_id,
    )
    await conn.execute("UPDATE torbox_slots SET total_streams = total_streams + 1 WHERE id = $1", slot_id)
    return session_id


async def session_pool(conn: asyncpg.Connection, session_id: UUID) -> UUID | None:
    return await conn.fetchval(
        "SELECT pool_key_id FROM torbox_concurrency_log WHERE id = $1 AND stream_ended_at IS NULL", session_id
    )


async def close_session(conn: asyncpg.Connection, session_id: UUID, pool_key_id: UUID) -> bool:
    closed = await conn.execute(
        """
        UPDATE torbox_concurrency_log
        SET stream_ended_at = now(), end_reason = 'ended',
            duration_seconds = extract(epoch FROM now() - stream_started_at)::int
        WHERE id = $1 AND stream_ended_at IS NULL
        """,
        session_id,
    )
    if closed != "UPDATE 1":
        return False
    await conn.execute(
        "UPDATE torbox_pool SET current_concurrent_streams = current_concurrent_streams - 1 WHERE id = $1",
        pool_key_id,
    )
    return True


async def pools_with_expired_sessions(db: asyncpg.Pool, ttl_minutes: int) -> list[UUID]:
    rows = await db.fetch(
        """
        SELECT DISTINCT pool_key_id FROM torbox_concurrency_log
        WHERE stream_ended_at IS NULL AND stream_started_at < now() - make_interval(mins => $1)
        """,
        ttl_minutes,
    )
    return [r["pool_key_id"] for r in rows]


async def expire_and_recount(conn: asyncpg.Connection, pool_key_id: UUID, ttl_minutes: int) -> int:
    """Close this pool's sessions older than the TTL and set its counter to the open sessions it has."""
    expired = await conn.execute(
        """
        UPDATE torbox_concurrency_log
        SET stream_ended_at = now(), end_reason = 'expired',
            duration_seconds = extract(epoch FROM now() - stream_started_at)::int
        WHERE pool_key_id = $1 AND stream_ended_at IS NULL
          AND stream_started_at < now() - make_interval(mins => $2)
        """,
        pool_key_id,
        ttl_minutes,
    )
    await conn.execute(
        """
        UPDATE torbox_pool SET current_concurrent_streams =
            (SELECT count(*) FROM torbox_concurrency_log WHERE pool_key_id = $1 AND stream_ended_at IS NULL)
        WHERE id = $1
        """,
        pool_key_id,
    )
    return int(expired.rsplit(" ", 1)[-1])
