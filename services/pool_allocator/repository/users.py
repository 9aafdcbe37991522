"""users and user_subs."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg


class DuplicateEmail(Exception):
    pass


async def insert(
    conn: asyncpg.Connection,
    *,
    email: str,
    password_hash: str,
    sub_type: str,
    sub_status: str,
    trial_days: int | None,
) -> UUID:
    try:
        user_id = await conn.fetchval(
            "INSERT INTO users (email, password_hash) VALUES ($1, $2) RETURNING uuid", email, password_hash
        )
    except asyncpg.UniqueViolationError:
        raise DuplicateEmail from None
    await conn.execute(
        """
        INSERT INTO user_subs (uuid, sub_type, sub_status, trial, trial_startdate, trial_enddate)
        VALUES ($1, $2, $3, $4::int IS NOT NULL,
                CASE WHEN $4::int IS NOT NULL THEN now() END,
                CASE WHEN $4::int IS NOT NULL THEN now() + make_interval(days => $4::int) END)
        """,
        user_id,
        sub_type,
        sub_status,
        trial_days,
    )
    return user_id


async def get(db: asyncpg.Pool | asyncpg.Connection, user_id: UUID) -> asyncpg.Record | None:
    return await db.fetchrow(
        """
        SELECT u.uuid, u.email, u.created_at, u.accessed_at,
               s.sub_type, s.sub_status, s.trial, s.trial_startdate, s.trial_enddate
        FROM users u LEFT JOIN user_subs s ON s.uuid = u.uuid WHERE u.uuid = $1
        """,
        user_id,
    )


async def slot(db: asyncpg.Pool | asyncpg.Connection, user_id: UUID) -> asyncpg.Record | None:
    return await db.fetchrow(
        """
        SELECT pool_key_id, slot_number, assigned_at, last_activity_at, total_streams, pool_status
        FROM v_user_slots WHERE user_id = $1
        """,
        user_id,
    )


async def devices(db: asyncpg.Pool | asyncpg.Connection, user_id: UUID, window_days: int) -> list[asyncpg.Record]:
    return await db.fetch(
        """
        SELECT device_id, last_used_at, last_used_at > now() - make_interval(days => $2) AS counts
        FROM torbox_assignments WHERE user_id = $1 ORDER BY last_used_at DESC
        """,
        user_id,
        window_days,
    )


async def update_subscription(conn: asyncpg.Connection, user_id: UUID, changes: dict[str, Any]) -> bool:
    """Apply subscription changes; `trial_days` starts a trial from now. False when the user is unknown."""
    exists = await conn.fetchval("SELECT 1 FROM users WHERE uuid = $1 FOR UPDATE", user_id)
    if not exists:
        return False
    await conn.execute("INSERT INTO user_subs (uuid) VALUES ($1) ON CONFLICT (uuid) DO NOTHING", user_id)
    sets: list[str] = []
    values: list[Any] = []
    for column in ("sub_type", "sub_status"):
        if column in changes:
            values.append(changes[column])
            sets.append(f"{column} = ${len(values) + 1}")
    if "trial_days" in changes:
        values.append(changes["trial_days"])
        n = len(values) + 1
        sets += ["trial = true", "trial_startdate = now()", f"trial_enddate = now() + make_interval(days => ${n})"]
    elif changes.get("trial") is False:
        sets += ["trial = false"]
    if sets:
        await conn.execute(
            f"UPDATE user_subs SET {', '.join(sets)}, updated_at = now() WHERE uuid = $1", user_id, *values
        )
    return True
