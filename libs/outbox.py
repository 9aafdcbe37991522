"""Events that must not be lost while NATS is away: written to the service's own outbox table first (beside
the change they report), then published in order by one background loop, and deleted once JetStream has
them. The event id is the publish de-duplication id, so a row published twice (a crash between publish
and delete) is stored once.

Each service owning an outbox creates its table in a migration:

    CREATE TABLE <service>_outbox (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                                   subject text NOT NULL, event_id text NOT NULL, body bytea NOT NULL);
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

import asyncpg
import msgspec

from libs.bus import Bus
from libs.bus.jetstream import publish_encoded
from libs.schemas import EVENT_SUBJECTS, Event, EventSubject
from libs.telemetry import get_logger

log = get_logger(__name__)
_encoder = msgspec.json.Encoder()
_SUBJECTS = {subject.name: subject for subject in EVENT_SUBJECTS}
_TABLE = re.compile(r"^[a-z_]+_outbox$")

# Something that takes an event for a subject: `Outbox.add`, or a direct publish
Emit = Callable[[EventSubject, Event], Awaitable[None]]


class Outbox:
    def __init__(self, db: asyncpg.Pool, bus: Bus, table: str, *, retry_seconds: float = 2.0) -> None:
        if not _TABLE.match(table):
            raise ValueError(f"not an outbox table name: {table}")
        self.db = db
        self.bus = bus
        self.table = table
        self.retry_seconds = retry_seconds
        self._wake = asyncio.Event()

    async def add(self, subject: EventSubject, event: Event, connection: asyncpg.Connection | None = None) -> None:
        """Keep `event` for publishing; inside the caller's transaction when a connection is given."""
        await (connection or self.db).execute(
            f"INSERT INTO {self.table} (subject, event_id, body) VALUES ($1, $2, $3)",
            subject.name,
            event.id,
            _encoder.encode(event),
        )
        self._wake.set()

    async def add_many(self, subject: EventSubject, events: list[Event], connection: asyncpg.Connection) -> None:
        """`add` for many events in one statement, inside the caller's transaction."""
        await connection.executemany(
            f"INSERT INTO {self.table} (subject, event_id, body) VALUES ($1, $2, $3)",
            [(subject.name, event.id, _encoder.encode(event)) for event in events],
        )
        self._wake.set()

    async def drain(self, batch: int = 200) -> int:
        """Publish what is waiting, oldest first; stops at the first failure (order is kept). How many sent."""
        sent = 0
        while True:
            rows = await self.db.fetch(
                f"SELECT seq, subject, event_id, body FROM {self.table} ORDER BY seq LIMIT $1", batch
            )
            if not rows:
                return sent
            published = None
            try:
                for row in rows:
                    subject = _SUBJECTS.get(row["subject"])
                    if subject is not None:
                        await publish_encoded(self.bus, subject, bytes(row["body"]), row["event_id"])
                    published = row["seq"]
                    sent += 1
            finally:  # what JetStream has is deleted in one statement, even when the next publish failed
                if published is not None:
                    await self.db.execute(f"DELETE FROM {self.table} WHERE seq <= $1", published)

    async def run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # NATS or the database away: everything stays for the next try
                log.warning("outbox not drained", table=self.table, error=type(error).__name__)
                await asyncio.sleep(self.retry_seconds)
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.retry_seconds * 5)
            except TimeoutError:
                pass
