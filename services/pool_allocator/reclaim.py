"""Reclamation: slots idle longer than `reclaim_idle_days` are freed once per period (hourly), by one
allocator process however many run; each pool's counter is set to the slots still held."""

from __future__ import annotations

import os
import socket
from uuid import UUID

import asyncpg

from libs.tasks import every
from libs.telemetry import get_logger

from .config import PoolConfig
from .invalidation import Invalidator
from .repository import jobs
from .retry import retrying_transaction

log = get_logger(__name__)
RUNNER = f"{socket.gethostname()}:{os.getpid()}"


async def _reclaim_pool(conn: asyncpg.Connection, pool_key_id: UUID, idle_days: int) -> list[UUID]:
    await conn.execute("SELECT 1 FROM torbox_pool WHERE id = $1 FOR UPDATE", pool_key_id)
    rows = await conn.fetch(
        """
        WITH idle AS (
            SELECT id, user_id FROM torbox_slots
            WHERE pool_key_id = $1 AND user_id IS NOT NULL AND last_activity_at < now() - make_interval(days => $2)
        ), freed AS (
            UPDATE torbox_slots s SET user_id = NULL, is_active = false, assigned_at = NULL, updated_at = now()
            FROM idle WHERE s.id = idle.id
            RETURNING idle.user_id, idle.id AS slot_id
        ), detached AS (
            UPDATE torbox_assignments a SET slot_id = NULL FROM freed WHERE a.slot_id = freed.slot_id
        )
        SELECT user_id FROM freed
        """,
        pool_key_id,
        idle_days,
    )
    await conn.execute(
        """
        UPDATE torbox_pool SET current_user_slots =
            (SELECT count(*) FROM torbox_slots WHERE pool_key_id = $1 AND user_id IS NOT NULL), updated_at = now()
        WHERE id = $1
        """,
        pool_key_id,
    )
    return [r["user_id"] for r in rows]


class Reclaimer:
    def __init__(self, db: asyncpg.Pool, config: PoolConfig, invalidator: Invalidator, runner: str = RUNNER) -> None:
        self.db = db
        self.config = config
        self.invalidator = invalidator
        self.runner = runner

    async def run_once(self) -> list[UUID] | None:
        """The users whose slots were freed, or None when this period's run belongs to another process."""
        period = await jobs.claim(self.db, "reclaim", self.config.reclaim_interval_seconds, self.runner)
        if period is None:
            return None
        idle_days = self.config.reclaim_idle_days
        pools = await self.db.fetch(
            """
            SELECT DISTINCT pool_key_id FROM torbox_slots
            WHERE user_id IS NOT NULL AND last_activity_at < now() - make_interval(days => $1)
            """,
            idle_days,
        )
        freed: list[UUID] = []
        for row in pools:
            freed += await retrying_transaction(
                self.db, lambda conn, pool_key_id=row["pool_key_id"]: _reclaim_pool(conn, pool_key_id, idle_days)
            )
        await jobs.finish(self.db, "reclaim", period, {"freed": len(freed), "runner": self.runner})
        if freed:
            log.info("idle slots reclaimed", count=len(freed))
            await self.invalidator.users(freed)
        return freed

    async def run(self) -> None:
        # tried four times a period: whichever process comes first in a period runs it
        await every(self.config.reclaim_interval_seconds / 4, self.run_once, what="reclamation", first_now=True)
