"""The asyncpg pool of one service: sized from configuration, with JSON columns decoded by msgspec."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import TypeVar

import asyncpg
import msgspec

from libs.telemetry import get_logger

log = get_logger("libs.db")

# what a database that is away (refused, reset, restarting) raises: worth trying again later, unlike
# anything else, which is a bug or bad data to surface
DATABASE_AWAY = (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
                 asyncpg.CannotConnectNowError)  # fmt: skip


async def _init_connection(conn: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name,
            schema="pg_catalog",
            encoder=lambda value: msgspec.json.encode(value).decode(),
            decoder=msgspec.json.decode,
            format="text",
        )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """No reset query on release: asyncpg would otherwise send `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN
    *; RESET ALL` — one more round trip per query — though no service leaves session state behind (advisory
    locks are transaction-level, no LISTEN, no SET, no cursor outside a transaction). An open transaction is
    still rolled back by asyncpg itself."""


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 5, service: str = "") -> asyncpg.Pool:
    """A pool of `min_size`..`max_size` connections, retried until the database answers.

    Once created, the pool replaces connections a database restart broke, so the service recovers by itself.
    """
    delay = 0.2
    while True:
        try:
            return await asyncpg.create_pool(
                dsn,
                min_size=min(min_size, max_size),
                max_size=max(max_size, 1),
                init=_init_connection,
                reset=_keep_session,
                max_inactive_connection_lifetime=300.0,
                command_timeout=30.0,
            )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
            log.warning("database not reachable yet", service=service, error=type(error).__name__)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def ping(pool: asyncpg.Pool, timeout: float = 1.0) -> bool:
    """True when a query goes through now; a connection broken by a restart is replaced on the next try."""
    for _ in range(2):
        try:
            async with asyncio.timeout(timeout):
                return await pool.fetchval("SELECT 1") == 1
        except Exception:  # a probe: whatever fails (refused, reset, mid-restart states), the answer is "not now"
            continue
    return False


S = TypeVar("S")


def rows_as(shape: type[S], records: Iterable[asyncpg.Record]) -> list[S]:
    """Rows as the repository hands them on: msgspec Structs whose fields are the columns, so the decisions
    behind it read attributes with types, never a Record by string."""
    return msgspec.convert([dict(record) for record in records], list[shape])


def row_as(shape: type[S], record: asyncpg.Record | None) -> S | None:
    return None if record is None else msgspec.convert(dict(record), shape)


@asynccontextmanager
async def transaction(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """One connection in one transaction: a state change and the event that reports it commit together."""
    async with pool.acquire() as connection, connection.transaction():
        yield connection
