"""The Prowlarr poller: indexer metadata, Prowlarr's counters and blocks, on an interval.

Prowlarr answering 401, 5xx, garbage or nothing changes nothing stored: the last good state stays, and
/health says what went wrong (as a detail; indexer-stats still works without Prowlarr).
"""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from libs.leases import Leases
from libs.prowlarr import ProwlarrClient, ProwlarrError
from libs.tasks import every
from libs.telemetry import get_logger

from .repository import prowlarr as repo

log = get_logger(__name__)


class ProwlarrPoller:
    def __init__(self, db: asyncpg.Pool, client: ProwlarrClient | None, on_change=None, history=None) -> None:
        self.db = db
        self.client = client
        self.on_change = on_change
        self.history = history  # a HistoryReader: what Sonarr and Radarr searched and grabbed through Prowlarr
        self.last_success: datetime | None = None
        self.last_error: str | None = None

    async def poll(self) -> bool:
        if self.client is None:
            return False
        try:
            indexers = await self.client.indexers()
            stats = await self.client.indexer_stats()
            blocked = await self.client.blocked()
            if self.history is not None:
                await self.history.read()
        except ProwlarrError as error:
            self.last_error = f"{error.kind}: {error}"
            log.warning("Prowlarr poll failed; keeping the last state", kind=error.kind)
            return False
        async with self.db.acquire() as conn, conn.transaction():
            await repo.sync_indexers(conn, indexers)
            await repo.snapshot_counters(conn, stats.indexers)
            await repo.set_blocks(conn, {b.indexer_id: b.disabled_till for b in blocked})
        self.last_success, self.last_error = datetime.now(UTC), None
        if self.on_change is not None:
            self.on_change()
        return True

    async def health(self) -> tuple[bool, str]:
        """Informational: indexer-stats serves without Prowlarr."""
        if self.client is None:
            return True, "PROWLARR_URL is not set"
        if self.last_error is not None:
            return False, self.last_error
        if self.last_success is None:
            return True, "not polled yet"
        return True, f"last poll {self.last_success:%H:%M:%S} UTC"

    async def run(self, interval: float, lease: Leases | None = None) -> None:
        """Polls on the interval (the first poll is at start-up, by the app), by one replica at a time."""
        await every(interval, self.poll, what="Prowlarr poll", lease=lease)
