"""The `indexer.search` consumer: each batch of events stored with its hourly metrics in one transaction.

A search redelivered (the consumer stopped before its ack) is stored and counted once: its event id is
the row's primary key and only new rows reach the metrics. An event that cannot be stored (an indexer id
that is not a number, a negative duration) is logged and dropped, never retried forever.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

from libs.bus import Retry
from libs.db import DATABASE_AWAY
from libs.schemas import IndexerSearch
from libs.telemetry import get_logger

from .repository import searches

log = get_logger(__name__)


class Ingest:
    def __init__(self, db: asyncpg.Pool) -> None:
        self.db = db
        self.stored = 0  # new rows since start, for /health and tests
        self._ids: dict[int, uuid.UUID] = {}  # Prowlarr's indexer id → ours (rows are never deleted)
        self.on_stored = None  # called after a batch that stored something (refreshes the ranking)

    async def store(self, events: Sequence[IndexerSearch]) -> None:
        usable = [e for e in events if e.duration_ms >= 0 and e.result_count >= 0]
        if len(usable) != len(events):
            log.error("search events dropped: negative duration or result count", count=len(events) - len(usable))
        if not usable:
            return
        try:
            async with self.db.acquire() as conn, conn.transaction():
                unknown = {
                    e.indexer_id: e.indexer_name or f"indexer {e.indexer_id}"
                    for e in usable
                    if e.indexer_id not in self._ids
                }
                # remembered only once committed: a rolled-back insert must not be reused
                ids = {**self._ids, **(await searches.indexer_ids(conn, unknown) if unknown else {})}
                rows = [
                    searches.SearchRow(
                        id=e.row_id,
                        indexer_id=ids[e.indexer_id],
                        search_id=e.search_id,
                        search_query=e.query,
                        search_type=e.search_type,
                        imdb_id=e.imdb_id,
                        response_time=e.duration_ms,
                        http_status=e.http_status,
                        results_count=e.result_count,
                        was_successful=e.outcome == "success",
                        outcome=e.outcome,
                        error_type=e.error_kind,
                        timestamp=e.at,
                        source=e.source,
                    )
                    for e in usable
                ]
                new = await searches.store(conn, rows)
        except DATABASE_AWAY as error:
            raise Retry(5.0, f"database unavailable: {type(error).__name__}") from error
        except asyncpg.DataError as error:  # a value PostgreSQL refuses (an id out of range…): drop, log
            log.error("search events dropped: the database refused them", error=str(error), count=len(usable))
            return
        self._ids = ids
        self.stored += new
        if new and self.on_stored is not None:
            self.on_stored()
