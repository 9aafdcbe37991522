"""users and user_subs."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from libs.db import row_as, rows_as


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


class UserRow(msgspec.Struct, frozen=True):
    uuid: UUID
    email: str
    created_at: datetime
    accessed_at: datetime | None
    sub_type: str | None  # None: no subscription row
    sub_status: str | None
    trial: bool | None
    trial_startdate: datetime | None
    trial_enddate: datetime | None


class SlotRow(msgspec.Struct, frozen=True):
    pool_key_id: UUID
    slot_number: int
    assigned_at: datetime | None
    last_activity_at: datetime | None
    total_streams: int
    pool_status: str


class DeviceRow(msgspec.Struct, frozen=True):
    device_id: str
    last_used_at: datetime
    counts: bool  # used within the device window: it counts towards the limit


async def get(db: asyncpg.Pool | asyncpg.Connection, user_id: UUID) -> UserRow | None:
    found = await db.fetchrow(
        """
        SELECT u.uuid, u.email, u.created_at, u.accessed_at,
               s.sub_type, s.sub_status, s.trial, s.trial_startdate, s.trial_enddate
        FROM users u LEFT JOIN user_subs s ON s.uuid = u.uuid WHERE u.uuid = $1
        """,
        user_id,
    )
    return row_as(UserRow, found)


async def slot(db: asyncpg.Pool | asyncpg.Connection, user_id: UUID) -> SlotRow | None:
    found = await db.fetchrow(
        """
        SELECT pool_key_id, slot_number, assigned_at, last_activity_at, total_streams, pool_status
        FROM v_user_slots WHERE user_id = $1
        """,
        user_id,
    )
    return row_as(SlotRow, found)


async def devices(db: asyncpg.Pool | asyncpg.Connection, user_id: UUID, window_days: int) -> list[DeviceRow]:
    found = await db.fetch(
        """
        SELECT device_id, last_used_at, last_used_at > now() - make_interval(days => $2) AS counts
        FROM torbox_assignments WHERE user_id = $1 ORDER BY last_used_at DESC
        """,
        user_id,
        window_days,
    )
    return rows_as(DeviceRow, found)


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
