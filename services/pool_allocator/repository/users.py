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


class UserListRow(msgspec.Struct, frozen=True):
    uuid: UUID
    email: str
    created_at: datetime
    accessed_at: datetime | None
    sub_type: str | None
    sub_status: str | None
    pool_key_id: UUID | None  # the key its slot is on
    devices: int  # devices used within the window


async def page(
    db: asyncpg.Pool | asyncpg.Connection, search: str, limit: int, offset: int, window_days: int
) -> tuple[int, list[UserListRow]]:
    """Users whose email holds `search` (any case), newest first: (how many match, this page of them)."""
    pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    total = await db.fetchval("SELECT count(*) FROM users WHERE email ILIKE $1", pattern)
    rows = await db.fetch(
        """
        SELECT u.uuid, u.email, u.created_at, u.accessed_at, s.sub_type, s.sub_status, sl.pool_key_id,
               (SELECT count(*) FROM torbox_assignments a
                WHERE a.user_id = u.uuid AND a.last_used_at > now() - make_interval(days => $4))::int AS devices
        FROM users u
        LEFT JOIN user_subs s ON s.uuid = u.uuid
        LEFT JOIN torbox_slots sl ON sl.user_id = u.uuid
        WHERE u.email ILIKE $1 ORDER BY u.created_at DESC, u.uuid LIMIT $2 OFFSET $3
        """,
        pattern, limit, offset, window_days,
    )  # fmt: skip
    return total, rows_as(UserListRow, rows)


async def delete(conn: asyncpg.Connection, user_id: UUID) -> list[UUID] | None:
    """The user gone, with its live streams ended and its slot freed first; the keys it held (their
    counters recounted), or None when there is no such user."""
    held = await conn.fetch(
        """
        SELECT pool_key_id FROM torbox_slots WHERE user_id = $1
        UNION SELECT pool_key_id FROM torbox_concurrency_log WHERE user_id = $1 AND stream_ended_at IS NULL
        """,
        user_id,
    )
    pools = sorted(row["pool_key_id"] for row in held)
    # the keys locked in one order, as an allocation locks them: no deadlock with one running meanwhile
    await conn.execute("SELECT 1 FROM torbox_pool WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE", pools)
    await conn.execute(
        """
        UPDATE torbox_slots SET user_id = NULL, is_active = false, assigned_at = NULL, updated_at = now()
        WHERE user_id = $1
        """,
        user_id,
    )
    gone = await conn.execute("DELETE FROM users WHERE uuid = $1", user_id)  # its sessions and devices with it
    if gone == "DELETE 0":
        return None
    await recount(conn, pools)
    return pools


async def recount(conn: asyncpg.Connection, pool_key_ids: list[UUID]) -> None:
    """The keys' slot and stream counters set to what their rows say."""
    await conn.execute(
        """
        UPDATE torbox_pool p SET
            current_user_slots = (SELECT count(*) FROM torbox_slots WHERE pool_key_id = p.id AND user_id IS NOT NULL),
            current_concurrent_streams =
                (SELECT count(*) FROM torbox_concurrency_log WHERE pool_key_id = p.id AND stream_ended_at IS NULL),
            updated_at = now()
        WHERE p.id = ANY($1::uuid[])
        """,
        pool_key_ids,
    )


async def forget_devices(conn: asyncpg.Pool | asyncpg.Connection, user_id: UUID, device_id: str | None) -> int:
    """The user's devices (one, or all): they no longer count towards the device limit."""
    result = await conn.execute(
        "DELETE FROM torbox_assignments WHERE user_id = $1 AND ($2::text IS NULL OR device_id = $2)",
        user_id,
        device_id,
    )
    return int(result.rsplit(" ", 1)[-1])


class Credentials(msgspec.Struct, frozen=True):
    uuid: UUID
    password_hash: str


async def credentials(db: asyncpg.Pool | asyncpg.Connection, email: str) -> Credentials | None:
    found = await db.fetchrow("SELECT uuid, password_hash FROM users WHERE lower(email) = lower($1)", email)
    return row_as(Credentials, found)


async def rotate(conn: asyncpg.Connection, user_id: UUID) -> UUID:
    """A new uuid for the user (its slot, devices, sessions and subscription follow it; its usage history
    too): every link holding the old one stops working."""
    new = await conn.fetchval(
        "UPDATE users SET uuid = gen_random_uuid(), updated_at = now() WHERE uuid = $1 RETURNING uuid", user_id
    )
    await conn.execute("UPDATE torbox_usage_logs SET user_id = $2 WHERE user_id = $1", user_id, new)
    return new
