"""Slots, devices and the user's access, inside the caller's transaction.

Locking order, always: the user row, then pool rows. Every change to a pool's slots holds that pool's row
lock, so the slot chosen next and the counter moved with it cannot race. Taking a slot is one statement
(`pool_take_slot`, migration 0002), run on its own so a pool's lock is never held across a round trip.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from ..access import Subscription


@dataclass(frozen=True)
class HeldSlot:
    slot_id: UUID
    pool_key_id: UUID
    slot_number: int
    pool_status: str
    pool_active: bool
    encrypted_key: str

    @property
    def usable(self) -> bool:
        """A held slot stays usable while its pool works; `is_active=false` only stops new assignments."""
        return self.pool_status in ("healthy", "degraded")


@dataclass(frozen=True)
class UserFacts:
    """What the rules need about a user, read under the user's row lock."""

    subscription: Subscription | None
    now: datetime
    recent_devices: set[str]
    held: HeldSlot | None


async def lock_user(conn: asyncpg.Connection, user_id: UUID, window_days: int) -> UserFacts | None:
    """Lock the user's row (marking the access), then read their subscription, the devices used within the
    window and the slot they hold; None for an unknown user.

    Two statements, not one: a statement's snapshot is taken when it starts, so reading in the statement
    that waited for the lock would miss what the previous holder of the lock committed."""
    locked = await conn.fetchval("UPDATE users SET accessed_at = now() WHERE uuid = $1 RETURNING true", user_id)
    if not locked:
        return None
    row = await conn.fetchrow(
        """
        SELECT s.sub_status, s.trial, s.trial_enddate, now() AS now,
               ARRAY(SELECT a.device_id FROM torbox_assignments a
                     WHERE a.user_id = u.uuid AND a.last_used_at > now() - make_interval(days => $2)) AS devices,
               h.id AS slot_id, h.pool_key_id, h.slot_number, p.status AS pool_status, p.is_active AS pool_active,
               p.api_key AS encrypted_key
        FROM users u
        LEFT JOIN user_subs s ON s.uuid = u.uuid
        LEFT JOIN torbox_slots h ON h.user_id = u.uuid
        LEFT JOIN torbox_pool p ON p.id = h.pool_key_id
        WHERE u.uuid = $1
        """,
        user_id,
        window_days,
    )
    if row is None:
        return None
    subscription = None
    if row["sub_status"] is not None:
        subscription = Subscription(row["sub_status"], row["trial"], row["trial_enddate"])
    held = None
    if row["slot_id"] is not None:
        held = HeldSlot(
            row["slot_id"],
            row["pool_key_id"],
            row["slot_number"],
            row["pool_status"],
            row["pool_active"],
            row["encrypted_key"],
        )
    return UserFacts(subscription, row["now"], set(row["devices"]), held)


async def take_slot(db: asyncpg.Pool | asyncpg.Connection, user_id: UUID, device_id: str) -> HeldSlot | None:
    """A usable slot for the user: the one they hold, or the lowest free one of the first open pool (moving
    them off an unusable pool). One statement, run on its own (see migration 0002)."""
    row = await db.fetchrow("SELECT * FROM pool_take_slot($1, $2)", user_id, device_id)
    if row is None:
        return None
    return HeldSlot(
        row["slot_id"], row["pool_key_id"], row["slot_number"], row["pool_status"], True, row["encrypted_key"]
    )


async def record_device(conn: asyncpg.Connection, user_id: UUID, device_id: str, slot: HeldSlot | None) -> None:
    """The device is counted from now on; with a slot, the slot's activity is marked too (one round trip)."""
    await conn.execute(
        """
        WITH activity AS (UPDATE torbox_slots SET last_activity_at = now() WHERE id = $3)
        INSERT INTO torbox_assignments (user_id, device_id, slot_id, assigned_pool_key_id)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (user_id, device_id) DO UPDATE
        SET slot_id = coalesce(EXCLUDED.slot_id, torbox_assignments.slot_id),
            assigned_pool_key_id = coalesce(EXCLUDED.assigned_pool_key_id, torbox_assignments.assigned_pool_key_id),
            last_used_at = now()
        """,
        user_id,
        device_id,
        None if slot is None else slot.slot_id,
        None if slot is None else slot.pool_key_id,
    )


async def touch(conn: asyncpg.Connection, user_ids: list[UUID], devices: list[tuple[UUID, str]]) -> None:
    """Activity seen by cached answers, written in two statements for however many users."""
    if user_ids:
        await conn.execute("UPDATE torbox_slots SET last_activity_at = now() WHERE user_id = ANY($1::uuid[])", user_ids)
        await conn.execute("UPDATE users SET accessed_at = now() WHERE uuid = ANY($1::uuid[])", user_ids)
    if devices:
        await conn.execute(
            """
            UPDATE torbox_assignments a SET last_used_at = now()
            FROM unnest($1::uuid[], $2::text[]) AS t(user_id, device_id)
            WHERE a.user_id = t.user_id AND a.device_id = t.device_id
            """,
            [u for u, _ in devices],
            [d for _, d in devices],
        )
