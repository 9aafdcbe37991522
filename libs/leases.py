"""Periodic work done once across replicas: a named lease in PostgreSQL (`chillproxy_leases`).

Whoever holds a name's lease runs that job; it renews the lease each round, so the lease outlives a round
by a margin. A replica that dies (or loses the database) stops renewing, and the next replica to ask once the
lease has run out becomes the holder: no election, no coordinator, only one conditional upsert per round.
The clock is the database's (`now()`), so replicas on hosts whose clocks differ still agree.

Work items (a torrent's TorBox add, a file's download) are leased on their own rows instead, with
`FOR UPDATE SKIP LOCKED` (qbt-shim's repository); this is for jobs that have no row of their own.
"""

from __future__ import annotations

import os
import socket
import uuid

import asyncpg

from libs.telemetry import get_logger

log = get_logger(__name__)


def instance_name(service: str) -> str:
    """This process among the replicas: readable in the table, unique even for a restart with the same pid."""
    return f"{service}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Leases:
    def __init__(self, db: asyncpg.Pool, service: str, holder: str | None = None) -> None:
        self.db = db
        self.service = service
        self.holder = holder or instance_name(service)
        self._held: set[str] = set()

    async def hold(self, job: str, seconds: float) -> bool:
        """Take `job`'s lease, or renew it, for `seconds`: True when this process holds it now."""
        name = f"{self.service}/{job}"
        held = await self.db.fetchval(
            """
            INSERT INTO chillproxy_leases AS l (name, holder, until)
            VALUES ($1, $2, now() + make_interval(secs => $3))
            ON CONFLICT (name) DO UPDATE
                SET holder = EXCLUDED.holder, until = EXCLUDED.until,
                    taken_at = CASE WHEN l.holder = EXCLUDED.holder THEN l.taken_at ELSE now() END
                WHERE l.holder = EXCLUDED.holder OR l.until < now()
            RETURNING true
            """,
            name,
            self.holder,
            float(seconds),
        )
        if held and name not in self._held:
            log.info("lease taken", job=job, holder=self.holder)
        elif not held and name in self._held:
            log.warning("lease lost", job=job, holder=self.holder)
        (self._held.add if held else self._held.discard)(name)
        return bool(held)

    async def release(self) -> None:
        """Give up every lease this process holds (a clean stop): another replica need not wait them out."""
        if not self._held:
            return
        try:
            await self.db.execute(
                "DELETE FROM chillproxy_leases WHERE holder = $1 AND name = ANY($2::text[])",
                self.holder,
                sorted(self._held),
            )
        except Exception as error:  # the database is away: the leases run out on their own
            log.warning("leases not released", error=type(error).__name__)
        self._held.clear()


def lease_seconds(interval: float) -> float:
    """How long a job's lease lasts past a renewal: two rounds and a margin, so a slow round never loses it
    and a dead holder's job is taken over within about three rounds."""
    return 2 * interval + 10.0
