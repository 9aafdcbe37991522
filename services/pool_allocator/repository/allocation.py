"""Slots, devices and the user's access, inside the caller's transaction.

Locking order, always: the user row, then pool rows. Every change to a pool's slots holds that pool's row
lock, so the slot chosen next and the counter moved with it cannot race.
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


async def lock_user(conn: asyncpg.Connection, user_id: UUID) -> tuple[bool, Subscription | None]:
    """(exists, subscription), holding the user's row lock until the transaction ends."""
    row = await conn.fetchrow(
        """
        SELECT u.uuid, s.sub_status, s.trial, s.trial_enddate
        FROM users u LEFT JOIN user_subs s ON s.uuid = u.uuid
        WHERE u.uuid = $1
        FOR UPDATE OF u
        """,
        user_id,
    )
    if row is None:
        return False, None
    if row["sub_status"] is None:
        return True, None
    return True, Subscription(row["sub_status"], row["trial"], row["trial_enddate"])


async def recent_devices(conn: asyncpg.Connection, user_id: UUID, window_days: int) -> set[str]:
    rows = await conn.fetch(
        """
        SELECT device_id FROM torbox_assignments
        WHERE user_id = $1 AND last_used_at > now() - make_interval(days => $2)
        """,
        user_id,
        window_days,
    )
    return {r["device_id"] for r in rows}


_HELD = """
    SELECT s.id AS slot_id, s.pool_key_id, s.slot_number, p.status AS pool_status,
           p.is_active AS pool_active, p.api_key AS encrypted_key
    FROM torbox_slots s JOIN torbox_pool p ON p.id = s.pool_key_id
"""


async def held_slot(conn: asyncpg.Connection, user_id: UUID) -> HeldSlot | None:
    row = await conn.fetchrow(_HELD + " WHERE s.user_id = $1", user_id)
    return None if row is None else HeldSlot(**row)


async def candidate_pools(conn: asyncpg.Connection, exclude: UUID | None = None) -> list[UUID]:
    """Pools that looked open a moment ago, in the order they are to be tried."""
    rows = await conn.fetch(
        """
        SELECT id FROM torbox_pool
        WHERE is_active AND status IN ('healthy', 'degraded') AND current_user_slots < max_user_slots
          AND id IS DISTINCT FROM $1
        ORDER BY status = 'healthy' DESC, priority DESC, created_at, id
        """,
        exclude,
    )
    return [r["id"] for r in rows]


async def take_slot(conn: asyncpg.Connection, pool_key_id: UUID, user_id: UUID) -> HeldSlot | None:
    """The lowest free slot of this pool for the user, or None when it is full or no longer usable."""
    pool = await conn.fetchrow(
        """
        SELECT status, is_active, api_key, current_user_slots, max_user_slots
        FROM torbox_pool WHERE id = $1 FOR UPDATE
        """,
        pool_key_id,
    )
    if (
        pool is None
        or not pool["is_active"]
        or pool["status"] not in ("healthy", "degraded")
        or pool["current_user_slots"] >= pool["max_user_slots"]
    ):
        return None
    slot = await conn.fetchrow(
        """
        UPDATE torbox_slots
        SET user_id = $2, is_active = true, assigned_at = now(), last_activity_at = now(), updated_at = now()
        WHERE id = (SELECT id FROM torbox_slots WHERE pool_key_id = $1 AND user_id IS NULL
                    ORDER BY slot_number LIMIT 1)
        RETURNING id, slot_number
        """,
        pool_key_id,
        user_id,
    )
    if slot is None:
        return None
    await conn.execute(
        "UPDATE torbox_pool SET current_user_slots = current_user_slots + 1, updated_at = now() WHERE id = $1",
        pool_key_id,
    )
    return HeldSlot(slot["id"], pool_key_id, slot["slot_number"], pool["status"], True, pool["api_key"])


async def release_slot(conn: asyncpg.Connection, slot: HeldSlot) -> None:
    await conn.execute("SELECT 1 FROM torbox_pool WHERE id = $1 FOR UPDATE", slot.pool_key_id)
    released = await conn.execute(
        """
        UPDATE torbox_slots SET user_id = NULL, is_active = false, assigned_at = NULL, updated_at = now()
        WHERE id = $1 AND user_id IS NOT NULL
        """,
        slot.slot_id,
    )
    if released == "UPDATE 1":
        await conn.execute(
            "UPDATE torbox_pool SET current_user_slots = current_user_slots - 1, updated_at = now() WHERE id = $1",
            slot.pool_key_id,
        )


async def record_device(conn: asyncpg.Connection, user_id: UUID, device_id: str, slot: HeldSlot) -> None:
    await conn.execute(
        """
        INSERT INTO torbox_assignments (user_id, device_id, slot_id, assigned_pool_key_id)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (user_id, device_id) DO UPDATE
        SET slot_id = EXCLUDED.slot_id, assigned_pool_key_id = EXCLUDED.assigned_pool_key_id,
            last_used_at = now()
        """,
        user_id,
        device_id,
        slot.slot_id,
        slot.pool_key_id,
    )
    await conn.execute("UPDATE torbox_slots SET last_activity_at = now() WHERE id = $1", slot.slot_id)
    await conn.execute("UPDATE users SET accessed_at = now() WHERE uuid = $1", user_id)


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


async def now(conn: asyncpg.Connection) -> datetime:
    return await conn.fetchval("SELECT now()")
