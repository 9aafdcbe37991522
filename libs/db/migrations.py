"""Numbered `.sql` migrations per service, each applied in its own transaction under an advisory lock.

Files are named `0001_what.sql`; the version recorded in `schema_migrations` is `<service>:0001_what`, so
the services share the table without sharing numbers. Replicas starting together wait on the lock and then
find the work done.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import asyncpg

from libs.telemetry import get_logger

log = get_logger("libs.db.migrations")

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# One lock for every service: migrations of different services may reference each other's tables only
# through later numbers, and serialising them costs nothing at start-up.
MIGRATION_LOCK = zlib.crc32(b"chillproxy.migrations")
# tables of libs/ itself, applied before any service's own (as the `platform` service)
PLATFORM_MIGRATIONS = Path(__file__).parent / "platform"


class MigrationError(Exception):
    pass


def migration_files(directory: Path) -> list[Path]:
    """The migration files in order; a stray name is an error, not something silently skipped."""
    if not directory.is_dir():
        return []
    files = sorted(p for p in directory.iterdir() if p.suffix == ".sql")
    for path in files:
        if not _NAME.match(path.name):
            raise MigrationError(f"migration file name must look like 0001_name.sql: {path.name}")
    numbers = [p.name[:4] for p in files]
    if len(set(numbers)) != len(numbers):
        raise MigrationError(f"two migrations share a number in {directory}")
    return files


async def migrate(pool: asyncpg.Pool, service: str, directory: Path) -> list[str]:
    """Apply what is missing; returns the versions applied now."""
    files = migration_files(directory)
    applied: list[str] = []
    async with pool.acquire() as conn:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
        for path in files:
            version = f"{service}:{path.stem}"
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
                done = await conn.fetchval("SELECT 1 FROM schema_migrations WHERE version = $1", version)
                if done:
                    continue
                await conn.execute(path.read_text())
                await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
            applied.append(version)
            log.info("migration applied", version=version)
    return applied
