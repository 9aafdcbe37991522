"""Events that must not be lost while NATS is away: written to the service's own outbox table first (beside
the change they report), then published in order by one background loop, and deleted once JetStream has
them. The event id is the publish de-duplication id, so a row published twice (a crash between publish
and delete) is stored once. An event added on its own while the database is away is held in memory (in
order, up to `hold_limit`) and written to the table as soon as the database answers again: a film that
played while PostgreSQL restarted is still counted.

Each service owning an outbox creates its table in a migration:

    CREATE TABLE <service>_outbox (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                                   subject text NOT NULL, event_id text NOT NULL, body bytea NOT NULL);
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import Awaitable, Callable

import asyncpg
import msgspec

from libs.bus import Bus
from libs.bus.jetstream import publish_encoded
from libs.db import DATABASE_AWAY
from libs.schemas import EVENT_SUBJECTS, Event, EventSubject
from libs.tasks import log_failure, nap
from libs.telemetry import get_logger

log = get_logger(__name__)
_encoder = msgspec.json.Encoder()
_SUBJECTS = {subject.name: subject for subject in EVENT_SUBJECTS}
_TABLE = re.compile(r"^[a-z_]+_outbox$")
IDLE_SECONDS = 60.0

# Something that takes an event for a subject: `Outbox.add`, or a direct publish
Emit = Callable[[EventSubject, Event], Awaitable[None]]


class Outbox:
    def __init__(
        self, db: asyncpg.Pool, bus: Bus, table: str, *, retry_seconds: float = 2.0, hold_limit: int = 50_000
    ) -> None:
        if not _TABLE.match(table):
            raise ValueError(f"not an outbox table name: {table}")
        self.db = db
        self.bus = bus
        self.table = table
        self.retry_seconds = retry_seconds
        self._insert = f"INSERT INTO {self.table} (subject, event_id, body) VALUES ($1, $2, $3)"
        # sent inside the caller's transaction, delivered by PostgreSQL only when it commits: the drain wakes
        # when the rows are visible (waking at the insert, it would find nothing and sleep until the next try)
        self._notify = f"SELECT pg_notify('{self.table}', '')"
        self._transactional = asyncio.Event()  # some event came inside a transaction: listen for commits
        self._listening = False
        self._held: deque[tuple[str, str, bytes]] = deque()
        self._hold_limit = hold_limit
        self._dropped = 0  # held events dropped from the front because the hold was full
        self._wake = asyncio.Event()

    @property
    def held(self) -> int:
        """Events waiting in memory for the database."""
        return len(self._held)

    async def add(self, subject: EventSubject, event: Event, connection: asyncpg.Connection | None = None) -> None:
        """Keep `event` for publishing; inside the caller's transaction when a connection is given (it then
        fails with that transaction), else in memory while the database is away."""
        row = (subject.name, event.id, _encoder.encode(event))
        if connection is not None:
            await self._add_in(connection, [row])
            return
        if self._held:  # behind the events already waiting, so the order is kept
            self._hold(row)
        else:
            try:
                await self.db.execute(self._insert, *row)
            except DATABASE_AWAY as error:
                log.warning("outbox: database away, event held in memory", table=self.table, error=type(error).__name__)
                self._hold(row)
        self._wake.set()

    def _hold(self, row: tuple[str, str, bytes]) -> None:
        if len(self._held) >= self._hold_limit:
            log.error("outbox: memory hold full, oldest event dropped", table=self.table, limit=self._hold_limit)
            self._held.popleft()
            self._dropped += 1
        self._held.append(row)

    async def _store_held(self) -> None:
        """What waited in memory into the table, in one statement, before anything newer."""
        rows, dropped = list(self._held), self._dropped
        if rows:
            await self.db.executemany(self._insert, rows)
            # events added meanwhile stay held, behind; those of ours dropped meanwhile are already gone
            for _ in range(len(rows) - (self._dropped - dropped)):
                self._held.popleft()

    async def add_many(self, subject: EventSubject, events: list[Event], connection: asyncpg.Connection) -> None:
        """`add` for many events in one statement, inside the caller's transaction."""
        await self._add_in(connection, [(subject.name, event.id, _encoder.encode(event)) for event in events])

    async def _add_in(self, connection: asyncpg.Connection, rows: list[tuple[str, str, bytes]]) -> None:
        await connection.executemany(self._insert, rows)
        await connection.execute(self._notify)
        self._transactional.set()
        if not self._listening:  # nobody hears the commit yet (just started, or the database came back)
            self._wake.set()
            asyncio.get_running_loop().call_later(0.25, self._wake.set)  # a commit is a moment away

    async def drain(self, batch: int = 200) -> int:
        """Publish what is waiting, oldest first; stops at the first failure (order is kept). How many sent."""
        await self._store_held()
        sent = 0
        while True:
            rows = await self.db.fetch(
                f"SELECT seq, subject, event_id, body FROM {self.table} ORDER BY seq LIMIT $1", batch
            )
            if not rows:
                return sent
            published: list[int] = []
            try:
                for row in rows:
                    subject = _SUBJECTS.get(row["subject"])
                    if subject is not None:
                        await publish_encoded(self.bus, subject, bytes(row["body"]), row["event_id"])
                    published.append(row["seq"])
                    sent += 1
            finally:  # what JetStream has is deleted in one statement, even when the next publish failed;
                # exactly those rows: one with a lower seq may have committed since the SELECT, unsent
                if published:
                    await self.db.execute(f"DELETE FROM {self.table} WHERE seq = ANY($1::bigint[])", published)

    async def run(self) -> None:
        listener = asyncio.create_task(self._listen())
        try:
            while True:
                self._wake.clear()
                try:
                    await self.drain()
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # NATS or the database away: everything stays for the next try
                    log_failure(log, "outbox not drained", error, table=self.table)
                    await asyncio.sleep(self.retry_seconds)
                    continue
                await nap(IDLE_SECONDS, self._wake)  # an add (or its commit) wakes it; this is only a safety net
        finally:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
            await self._store_held_at_shutdown()

    async def _listen(self) -> None:
        """Wake the drain when a transaction that added events commits. One connection of the pool is held
        for it, only by an outbox that has events added inside transactions; the timed retry in `run`
        still drains if a notification is missed (the connection lost, say)."""
        await self._transactional.wait()

        def notified(*_: object) -> None:
            self._wake.set()

        while True:
            try:
                async with self.db.acquire() as connection:
                    lost = asyncio.Event()
                    connection.add_termination_listener(lambda _, lost=lost: lost.set())
                    await connection.add_listener(self.table, notified)
                    self._listening = True
                    self._wake.set()  # what committed before the listening began
                    try:
                        await lost.wait()
                    finally:
                        self._listening = False
                        if not connection.is_closed():  # the pool keeps session state: no LISTEN left behind
                            await connection.remove_listener(self.table, notified)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("outbox: not listening for commits", table=self.table, error=type(error).__name__)
            await asyncio.sleep(self.retry_seconds)

    async def _store_held_at_shutdown(self) -> None:
        """The service stops: what waits in memory gets one last try at the table, else is said lost."""
        if not self._held:
            return
        try:
            async with asyncio.timeout(2):
                await self._store_held()
        except Exception:  # the count below says what it cost
            pass
        if self._held:
            log.error("outbox: events lost at shutdown, the database was away", table=self.table, lost=self.held)
