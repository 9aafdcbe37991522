"""The notifier's SQL: its settings document, the download clients and the downloads they follow, and the
refresh queue of the media servers. Functions take a pool or the connection of the caller's transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import msgspec

from libs.db import row_as, rows_as

# a pool, or the connection of the caller's transaction (a change and its event commit together)
Db = asyncpg.Pool | asyncpg.Connection
FINAL = ("completed", "failed", "removed")  # a download in one of these is no longer followed


class ClientRow(msgspec.Struct, frozen=True):
    """A download client as stored (its secrets still sealed)."""

    id: UUID
    type: str
    name: str
    host: str
    port: int
    use_ssl: bool
    api_key: str | None
    username: str | None
    password: str | None
    category: str | None
    enabled: bool
    priority: int
    last_error: str | None
    last_checked_at: datetime | None


class DownloadRow(msgspec.Struct, frozen=True):
    id: UUID
    client_id: UUID
    client_download_id: str | None
    title: str | None
    state: str
    progress: float
    speed_bytes: int
    eta_seconds: int | None
    final_path: str | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    type: str = ""  # the client's, when listed with it


class FailingClient(msgspec.Struct, frozen=True):
    name: str
    last_error: str


class DueRefresh(msgspec.Struct, frozen=True):
    server: str
    paths: list[str]
    changes: list[str]  # each path's: Created, Modified or Deleted
    attempts: int


class HookEventRow(msgspec.Struct, frozen=True):
    source: str
    event_type: str
    instance_name: str | None
    title: str | None
    paths: int
    handled: bool
    received_at: datetime


# settings


async def settings_document(db: Db) -> Any | None:
    return await db.fetchval("SELECT document FROM notifier_settings")


async def lock_settings(connection: asyncpg.Connection) -> None:
    """Held until the transaction ends: two edits of the document never interleave."""
    await connection.execute("SELECT pg_advisory_xact_lock(hashtext('notifier_settings'))")


async def save_settings(db: Db, document: Any) -> None:
    await db.execute(
        """
        INSERT INTO notifier_settings (id, document) VALUES (true, $1)
        ON CONFLICT (id) DO UPDATE SET document = excluded.document, updated_at = now()
        """,
        document,
    )


# download clients

CLIENT_FIELDS = ("type", "name", "host", "port", "use_ssl", "api_key", "username", "password", "category",
                 "enabled", "priority")  # fmt: skip


async def failing_clients(db: Db) -> list[FailingClient]:
    return rows_as(
        FailingClient,
        await db.fetch(
            "SELECT name, last_error FROM notifier_clients WHERE enabled AND last_error IS NOT NULL ORDER BY name"
        ),
    )


async def clients(db: Db) -> list[ClientRow]:
    return rows_as(ClientRow, await db.fetch("SELECT * FROM notifier_clients ORDER BY priority DESC, name"))


async def client(db: Db, client_id: str) -> ClientRow | None:
    """None for an id that is no client's, or not a UUID at all."""
    try:
        return row_as(ClientRow, await db.fetchrow("SELECT * FROM notifier_clients WHERE id = $1::uuid", client_id))
    except (asyncpg.DataError, ValueError):
        return None


async def insert_client(db: Db, values: dict[str, Any]) -> ClientRow:
    """`values`: every one of CLIENT_FIELDS (secrets already sealed)."""
    placeholders = ", ".join(f"${n}" for n in range(1, len(CLIENT_FIELDS) + 1))
    inserted = await db.fetchrow(
        f"INSERT INTO notifier_clients ({', '.join(CLIENT_FIELDS)}) VALUES ({placeholders}) RETURNING *",
        *(values[name] for name in CLIENT_FIELDS),
    )
    return msgspec.convert(dict(inserted), ClientRow)


async def update_client(db: Db, client_id: Any, changes: dict[str, Any]) -> ClientRow:
    """`changes`: some of CLIENT_FIELDS (the names are ours, never a caller's)."""
    assert set(changes) <= set(CLIENT_FIELDS)
    assignments = ", ".join(f"{name} = ${n}" for n, name in enumerate(changes, start=2))
    updated = await db.fetchrow(
        f"UPDATE notifier_clients SET {assignments} WHERE id = $1 RETURNING *", client_id, *changes.values()
    )
    return msgspec.convert(dict(updated), ClientRow)


async def delete_client(db: Db, client_id: Any) -> None:
    await db.execute("DELETE FROM notifier_clients WHERE id = $1", client_id)


async def mark_checked(db: Db, client_id: Any, error: str | None) -> None:
    await db.execute(
        "UPDATE notifier_clients SET last_error = $2, last_checked_at = now() WHERE id = $1", client_id, error
    )


async def clients_with_open_downloads(db: Db) -> list[ClientRow]:
    found = await db.fetch(
        """
        SELECT c.* FROM notifier_clients c WHERE c.enabled AND EXISTS (
            SELECT 1 FROM notifier_downloads d WHERE d.client_id = c.id AND d.state <> ALL($1::text[]))
        """,
        list(FINAL),
    )
    return rows_as(ClientRow, found)


# downloads


async def downloads(db: Db, limit: int = 1000) -> list[DownloadRow]:
    found = await db.fetch(
        "SELECT d.*, c.type FROM notifier_downloads d JOIN notifier_clients c ON c.id = d.client_id"
        " ORDER BY d.created_at DESC LIMIT $1",
        limit,
    )
    return rows_as(DownloadRow, found)


async def open_downloads(db: Db, client_id: Any) -> list[DownloadRow]:
    found = await db.fetch(
        "SELECT * FROM notifier_downloads WHERE client_id = $1 AND state <> ALL($2::text[])", client_id, list(FINAL)
    )
    return rows_as(DownloadRow, found)


async def insert_download(
    db: Db, client_id: Any, client_download_id: str | None, title: str | None, guid: str | None, indexer_id: int | None
) -> DownloadRow:
    inserted = await db.fetchrow(
        """
        INSERT INTO notifier_downloads (client_id, client_download_id, title, prowlarr_guid, indexer_id)
        VALUES ($1, $2, $3, $4, $5) RETURNING *
        """,
        client_id,
        client_download_id,
        title,
        guid,
        indexer_id,
    )
    return msgspec.convert(dict(inserted), DownloadRow)


async def update_downloads(db: Db, rows: list[tuple[Any, ...]]) -> None:
    """Each row: (id, client's id, state, progress, speed, eta, final path, error, title, when)."""
    await db.executemany(
        """
        UPDATE notifier_downloads SET client_download_id = coalesce(client_download_id, $2), state = $3,
               progress = $4, speed_bytes = $5, eta_seconds = $6, final_path = $7, error = $8,
               title = coalesce(title, $9), updated_at = $10
        WHERE id = $1
        """,
        rows,
    )


# the media servers' refresh queue


async def queue_refreshes(db: Db, rows: list[tuple[str, str, str]]) -> None:
    """(server, path, change) rows; a path already waiting keeps its place (the window runs from its first)
    and takes the latest change (a file deleted, then imported again, is there)."""
    await db.executemany(
        """
        INSERT INTO notifier_refresh_queue (server, path, change) VALUES ($1, $2, $3)
        ON CONFLICT (server, path) DO UPDATE SET change = excluded.change
        """,
        rows,
    )


async def claim_due_refreshes(db: Db, now: datetime, window: timedelta, hold_seconds: float) -> list[DueRefresh]:
    """Per server, the paths that may be sent now (their retry is due and the oldest has waited its window),
    held by this replica for `hold_seconds`: another replica skips them, and sends them only if this one
    dies before it has dropped them (sent) or put them back (failed)."""
    found = await db.fetch(
        """
        WITH due AS (
            SELECT server FROM notifier_refresh_queue WHERE next_try_at <= $1
            GROUP BY server HAVING min(queued_at) <= $2
        ), taken AS (
            SELECT q.server, q.path FROM notifier_refresh_queue q JOIN due USING (server)
            WHERE q.next_try_at <= $1 FOR UPDATE OF q SKIP LOCKED
        ), held AS (
            UPDATE notifier_refresh_queue q SET next_try_at = $1 + make_interval(secs => $3)
            FROM taken WHERE q.server = taken.server AND q.path = taken.path
            RETURNING q.server, q.path, q.change, q.attempts
        )
        SELECT server, array_agg(path ORDER BY path) AS paths, array_agg(change ORDER BY path) AS changes,
               max(attempts) AS attempts
        FROM held GROUP BY server
        """,
        now,
        now - window,
        float(hold_seconds),
    )
    return rows_as(DueRefresh, found)


async def seconds_until_due(db: Db, window: timedelta) -> float | None:
    return await db.fetchval(
        """
        SELECT extract(epoch FROM min(greatest(next_try_at, queued_at + $1)) - now())::float8
        FROM notifier_refresh_queue
        """,
        window,
    )


async def drop_refreshes(db: Db, server: str, paths: list[str] | None = None) -> None:
    """The server's waiting paths (these, or all of them)."""
    await db.execute(
        "DELETE FROM notifier_refresh_queue WHERE server = $1 AND ($2::text[] IS NULL OR path = ANY($2::text[]))",
        server,
        paths,
    )


async def retry_refreshes(db: Db, server: str, paths: list[str], attempts: int, at: datetime, error: str) -> None:
    await db.execute(
        """
        UPDATE notifier_refresh_queue SET attempts = $2, next_try_at = $3, last_error = $4
        WHERE server = $1 AND path = ANY($5::text[])
        """,
        server,
        attempts,
        at,
        error,
        paths,
    )


async def log_refresh(db: Db, server: str, paths: int, full: bool, error: str | None) -> None:
    await db.execute(
        "INSERT INTO notifier_refresh_log (server, paths, full_scan, ok, error) VALUES ($1, $2, $3, $4, $5)",
        server,
        paths,
        full,
        error is None,
        error,
    )


# the webhooks of Sonarr and Radarr


async def record_hook_event(
    db: Db, source: str, event_type: str, instance_name: str | None, title: str | None, paths: int, handled: bool
) -> HookEventRow:
    row = await db.fetchrow(
        """
        INSERT INTO notifier_hook_events (source, event_type, instance_name, title, paths, handled)
        VALUES ($1, $2, $3, $4, $5, $6) RETURNING *
        """,
        source,
        event_type,
        instance_name,
        title,
        paths,
        handled,
    )
    return row_as(HookEventRow, row)


async def last_hook_events(db: Db) -> dict[str, HookEventRow]:
    """The last event of each source."""
    rows = await db.fetch(
        """
        SELECT DISTINCT ON (source) source, event_type, instance_name, title, paths, handled, received_at
        FROM notifier_hook_events ORDER BY source, id DESC
        """
    )
    return {row.source: row for row in rows_as(HookEventRow, rows)}
