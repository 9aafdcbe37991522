"""Activity seen by cached answers, written in batches: a cached answer costs no database write, yet a user
who streams every day never looks idle to reclamation."""

from __future__ import annotations

from uuid import UUID

import asyncpg

from libs.tasks import every

from .repository import allocation


class ActivityRecorder:
    def __init__(self, db: asyncpg.Pool) -> None:
        self.db = db
        self._seen: set[tuple[str, str]] = set()

    def touch(self, user_id: str, device_id: str) -> None:
        self._seen.add((user_id, device_id))

    async def flush(self) -> int:
        if not self._seen:
            return 0
        seen, self._seen = self._seen, set()
        devices = [(UUID(u), d) for u, d in seen]
        users = sorted({u for u, _ in devices})
        try:
            async with self.db.acquire() as conn, conn.transaction():
                await allocation.touch(conn, users, devices)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            self._seen |= seen  # keep them for the next flush
            raise
        return len(seen)

    async def run(self, interval: float) -> None:
        await every(interval, self.flush, what="activity flush")
