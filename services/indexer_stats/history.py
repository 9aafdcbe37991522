"""Every search measured: the searches and grabs Sonarr and Radarr make through Prowlarr (its Torznab feeds)
never pass stream-proxy, so they are read from Prowlarr's history — newest first, page by page, down to the
last record read before — and stored like stream-proxy's searches, each with who made it.

Searches Prowlarr made for its own API (`source` "Prowlarr": stream-proxy's searches, which stream-proxy
measures itself, and ones typed in Prowlarr's page) are left out, or stream-proxy's would count twice.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from libs.prowlarr import HistoryRecord, ProwlarrClient
from libs.schemas import IndexerSearch
from libs.telemetry import get_logger

from .ingest import Ingest
from .repository import history as repo
from .repository import searches

log = get_logger(__name__)
PAGE_SIZE = 100
MAX_PAGES = 50  # a round reads at most so many records (5,000); past them the oldest unread are skipped
FIRST_LOOK = timedelta(hours=24)  # the first time, only what the day's figures need
OWN_SOURCE = "Prowlarr"
_GRABS = uuid.UUID("7c1f0c8e-2b4e-4d0b-9d0a-5f3b1e0a9c21")


def _int(value: str | None) -> int:
    return int(value) if value and value.strip().lstrip("-").isdigit() else 0


def search_of(record: HistoryRecord) -> IndexerSearch | None:
    """A query of another application, as an `indexer.search` of its own (None: not one to count). Pure."""
    source = record.data.get("source") or "unknown"
    if record.event_type != "indexerQuery" or source == OWN_SOURCE:
        return None
    return IndexerSearch(
        id=f"prowlarr-history-{record.id}", at=record.date, search_id=f"prowlarr:{record.id}",
        indexer_id=record.indexer_id, query=record.data.get("query") or "",
        imdb_id=record.data.get("imdbId") or None, search_type=record.data.get("queryType") or "search",
        duration_ms=max(0, _int(record.data.get("elapsedTime"))),
        outcome="success" if record.successful else "failure",
        result_count=max(0, _int(record.data.get("queryResults"))), source=source,
    )  # fmt: skip


def grab_of(record: HistoryRecord) -> repo.GrabRow | None:
    if record.event_type != "releaseGrabbed":
        return None
    return repo.GrabRow(
        id=uuid.uuid5(_GRABS, str(record.id)), prowlarr_indexer_id=record.indexer_id,
        source=record.data.get("source") or "unknown", successful=record.successful,
        title=record.data.get("title") or record.data.get("grabTitle"), timestamp=record.date,
    )  # fmt: skip


class HistoryReader:
    def __init__(self, db: asyncpg.Pool, client: ProwlarrClient, ingest: Ingest, on_read=None) -> None:
        self.db = db
        self.client = client
        self.ingest = ingest
        self.on_read = on_read  # called once new records are stored

    async def read(self) -> int:
        """What is new in Prowlarr's history, stored; how many records were read."""
        last = await repo.cursor(self.db)
        oldest = datetime.now(UTC) - FIRST_LOOK
        fresh: list[HistoryRecord] = []
        for page in range(1, MAX_PAGES + 1):
            found = await self.client.history(page, PAGE_SIZE)
            newer = [r for r in found.records if (r.id > last if last is not None else r.date > oldest)]
            fresh += newer
            if len(newer) < len(found.records) or len(found.records) < PAGE_SIZE:
                break
        else:
            log.warning("Prowlarr history: more new records than one round reads; the oldest skipped")
        if not fresh:
            return 0
        await self.ingest.store([s for r in fresh if (s := search_of(r)) is not None])
        grabs = [g for r in fresh if (g := grab_of(r)) is not None]
        async with self.db.acquire() as conn, conn.transaction():
            if grabs:
                names = {g.prowlarr_indexer_id: f"indexer {g.prowlarr_indexer_id}" for g in grabs}
                await repo.store_grabs(conn, grabs, await searches.indexer_ids(conn, names))
            await repo.move_cursor(conn, max(r.id for r in fresh))
        if self.on_read is not None:
            self.on_read()
        return len(fresh)
