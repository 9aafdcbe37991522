"""Usage records: taken by HTTP or NATS, kept durably in JetStream, written to PostgreSQL in batches.

Each record's id is its JetStream de-duplication id and its primary key, so a redelivered or re-sent
record is stored once. When NATS cannot take a record, it is written to the database directly.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from uuid import UUID

import asyncpg
import msgspec

from libs.bus import Bus, Retry, publish
from libs.db import DATABASE_AWAY
from libs.schemas import POOL_USAGE, UsageEvent
from libs.schemas.pool_admin import UsageDay, UsageHistory, UsageSummary
from libs.schemas.pool_admin import UsageRow as UsageView
from libs.telemetry import get_logger

from .repository import usage as repo

log = get_logger(__name__)


def row_of(event: UsageEvent) -> repo.UsageRow | None:
    """The row for an event; None when its user or key is not a UUID (such a record cannot be kept)."""
    try:
        user_id = uuid.UUID(event.user_id)
        pool_key_id = uuid.UUID(event.pool_key_id) if event.pool_key_id else None
    except ValueError:
        return None
    return repo.UsageRow(
        id=event.row_id,
        user_id=user_id,
        pool_key_id=pool_key_id,
        device_id=event.device_id,
        action=event.action,
        stream_type=event.stream_type,
        imdb_id=event.imdb_id,
        torrent_hash=event.hash,
        was_cached=event.cached,
        bytes=event.bytes,
        timestamp=event.at,
    )


class UsageLog:
    def __init__(self, db: asyncpg.Pool, bus: Bus | None) -> None:
        self.db = db
        self.bus = bus

    async def record(self, event: UsageEvent) -> None:
        if self.bus is not None and self.bus.connected:
            try:
                await publish(self.bus, POOL_USAGE, event)
                return
            except Exception as error:
                log.warning("usage not published; writing it directly", error=type(error).__name__)
        row = row_of(event)
        if row is not None:
            await repo.insert_many(self.db, [row])

    async def store(self, events: Sequence[UsageEvent]) -> None:
        """The consumer's handler: one insert per batch; unusable records are logged and dropped."""
        rows = []
        for event in events:
            row = row_of(event)
            if row is None:
                log.error("usage record dropped: userId or poolKeyId is not a UUID", event_id=event.id)
            else:
                rows.append(row)
        try:
            await repo.insert_many(self.db, rows)
        except DATABASE_AWAY as error:
            raise Retry(delay=5.0, reason=f"database unavailable: {type(error).__name__}") from error

    async def history(self, column: str, owner: UUID, days: int) -> UsageHistory:
        """One user's (`user_id`) or one key's (`pool_key_id`) usage per day over the last `days`."""
        rows = await repo.daily(self.db, column, owner, days)
        return UsageHistory(id=str(owner), days=[UsageDay(**msgspec.structs.asdict(r)) for r in rows])

    async def streams_by_key(self, days: int) -> list[repo.KeyDay]:
        return await repo.streams_by_key(self.db, days)

    async def summary(self) -> UsageSummary:
        by_user, by_key = await repo.summary(self.db)
        return UsageSummary(
            by_user=[UsageView(**msgspec.structs.asdict(r)) for r in by_user],
            by_key=[UsageView(**msgspec.structs.asdict(r)) for r in by_key],
        )
