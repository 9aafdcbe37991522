"""torbox_pool and its slots: adding, listing and changing keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from libs.db import row_as, rows_as

_VIEW = """
    SELECT p.id, p.api_key, p.label, p.priority, p.is_active, p.status, p.status_reason,
           p.max_user_slots, p.current_user_slots, p.max_concurrent_streams, p.current_concurrent_streams,
           v.slot_utilization_pct::float8 AS slot_utilization_pct,
           v.concurrency_utilization_pct::float8 AS concurrency_utilization_pct,
           v.slot_status, v.concurrency_status, p.consecutive_failures, p.failure_rate_24h::float8 AS failure_rate_24h,
           p.last_success_at, p.last_failure_at, p.created_at
    FROM torbox_pool p JOIN v_pool_status v ON v.pool_key_id = p.id
"""


class KeyRow(msgspec.Struct, frozen=True):
    """A key with its utilisation, as the admin API shows it (`api_key` still sealed)."""

    id: UUID
    api_key: str
    label: str | None
    priority: int
    is_active: bool
    status: str
    status_reason: str | None
    max_user_slots: int
    current_user_slots: int
    max_concurrent_streams: int
    current_concurrent_streams: int
    slot_utilization_pct: float | None
    concurrency_utilization_pct: float | None
    slot_status: str
    concurrency_status: str
    consecutive_failures: int
    failure_rate_24h: float | None
    last_success_at: datetime | None
    last_failure_at: datetime | None
    created_at: datetime


class LockedKey(msgspec.Struct, frozen=True):
    id: UUID
    max_user_slots: int


class StoredKey(msgspec.Struct, frozen=True):
    id: UUID
    api_key: str  # sealed


class DuplicateKey(Exception):
    pass


async def insert(
    conn: asyncpg.Connection,
    *,
    encrypted_key: str,
    fingerprint: str,
    label: str | None,
    priority: int,
    max_user_slots: int,
    max_concurrent_streams: int,
) -> UUID:
    try:
        pool_key_id = await conn.fetchval(
            """
            INSERT INTO torbox_pool (api_key, api_key_fingerprint, label, priority, max_user_slots,
                                     max_concurrent_streams)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
            """,
            encrypted_key,
            fingerprint,
            label,
            priority,
            max_user_slots,
            max_concurrent_streams,
        )
    except asyncpg.UniqueViolationError:
        raise DuplicateKey from None
    await add_slots(conn, pool_key_id, 1, max_user_slots)
    return pool_key_id


async def add_slots(conn: asyncpg.Connection, pool_key_id: UUID, first: int, last: int) -> None:
    await conn.execute(
        "INSERT INTO torbox_slots (pool_key_id, slot_number) SELECT $1, n FROM generate_series($2::int, $3::int) n",
        pool_key_id,
        first,
        last,
    )


async def list_all(db: asyncpg.Pool | asyncpg.Connection) -> list[KeyRow]:
    return rows_as(KeyRow, await db.fetch(_VIEW + " ORDER BY p.priority DESC, p.created_at"))


async def get(db: asyncpg.Pool | asyncpg.Connection, pool_key_id: UUID) -> KeyRow | None:
    return row_as(KeyRow, await db.fetchrow(_VIEW + " WHERE p.id = $1", pool_key_id))


async def lock(conn: asyncpg.Connection, pool_key_id: UUID) -> LockedKey | None:
    locked = await conn.fetchrow("SELECT id, max_user_slots FROM torbox_pool WHERE id = $1 FOR UPDATE", pool_key_id)
    return row_as(LockedKey, locked)


async def highest_occupied_slot(conn: asyncpg.Connection, pool_key_id: UUID) -> int:
    return await conn.fetchval(
        "SELECT coalesce(max(slot_number), 0) FROM torbox_slots WHERE pool_key_id = $1 AND user_id IS NOT NULL",
        pool_key_id,
    )


async def remove_slots_above(conn: asyncpg.Connection, pool_key_id: UUID, last: int) -> None:
    await conn.execute(
        "DELETE FROM torbox_slots WHERE pool_key_id = $1 AND slot_number > $2 AND user_id IS NULL",
        pool_key_id,
        last,
    )


async def update(conn: asyncpg.Connection, pool_key_id: UUID, changes: dict[str, Any]) -> None:
    if not changes:
        return
    columns = list(changes)
    assignments = ", ".join(f"{column} = ${i + 2}" for i, column in enumerate(columns))
    try:
        await conn.execute(
            f"UPDATE torbox_pool SET {assignments}, updated_at = now() WHERE id = $1",
            pool_key_id,
            *changes.values(),
        )
    except asyncpg.UniqueViolationError:
        raise DuplicateKey from None


async def encrypted_keys(db: asyncpg.Pool) -> list[StoredKey]:
    """Every key that health checks should try: all but those an admin disabled."""
    found = await db.fetch("SELECT id, api_key FROM torbox_pool WHERE status <> 'disabled' ORDER BY id")
    return rows_as(StoredKey, found)


async def delete(conn: asyncpg.Connection, pool_key_id: UUID) -> list[UUID] | None:
    """The key gone with its slots, sessions and health history; the users who held a slot on it (they get
    another key at their next request), or None when there is no such key."""
    if await lock(conn, pool_key_id) is None:
        return None
    holders = await conn.fetch(
        "SELECT user_id FROM torbox_slots WHERE pool_key_id = $1 AND user_id IS NOT NULL", pool_key_id
    )
    await conn.execute("DELETE FROM torbox_pool WHERE id = $1", pool_key_id)
    return [row["user_id"] for row in holders]
