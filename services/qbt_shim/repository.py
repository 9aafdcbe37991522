"""qbt-shim's SQL. Functions take a pool or connection and plain values; rows come back as records."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from libs.db import rows_as

# a pool, or the connection of the caller's transaction (a change and its event commit together)
Db = asyncpg.Pool | asyncpg.Connection


class TorrentRow(msgspec.Struct, frozen=True):
    """A torrent as stored: what qBittorrent's JSON about it is made from (views.py)."""

    hash: str
    name: str
    magnet: str | None
    category: str
    tags: str  # sorted, ','-separated
    save_path: str
    phase: str  # queued | submitted | cloud | local | completed | error
    stopped: bool
    torbox_id: int | None
    torbox_queued_id: int | None
    cloud_state: str
    cloud_progress: float
    cloud_speed: int
    cloud_eta: int | None
    size: int
    error: str | None
    retry_at: datetime | None
    added_on: datetime
    completion_on: datetime | None
    ratio_limit: float
    seeding_time_limit: int
    inactive_seeding_time_limit: int
    downloaded: int = 0  # bytes on disk, over its files (listings only)
    files: list[str] = []  # its own files' paths (what a delete removes)


class FileRow(msgspec.Struct, frozen=True):
    index: int
    path: str  # inside the torrent's folder
    size: int
    torbox_file_id: int
    downloaded: int
    done: bool


class Submission(msgspec.Struct, frozen=True):
    """A torrent waiting to be added to TorBox."""

    hash: str
    name: str
    category: str
    magnet: str | None
    torrent_file: bytes | None


class FileWork(msgspec.Struct, frozen=True):
    """A file still to download, with what its download needs of its torrent."""

    hash: str
    index: int
    path: str
    size: int
    torbox_file_id: int
    downloaded: int
    name: str
    save_path: str
    torbox_id: int | None


class CategoryRow(msgspec.Struct, frozen=True):
    name: str
    save_path: str


TORRENT_COLUMNS = """hash, name, magnet, category, tags, save_path, phase, stopped, torbox_id, torbox_queued_id,
    cloud_state, cloud_progress, cloud_speed, cloud_eta, size, error, retry_at, added_on, completion_on,
    ratio_limit, seeding_time_limit, inactive_seeding_time_limit"""


async def insert_torrent(
    db: Db,
    *,
    hash: str,
    name: str,
    magnet: str | None,
    torrent_file: bytes | None,
    category: str,
    tags: str,
    save_path: str,
    stopped: bool,
    limits: tuple[float, int, int] = (-2, -2, -2),
) -> bool:
    """False when a torrent with this hash is already there (qBittorrent adds it once). `limits`: ratio,
    seeding minutes, inactive seeding minutes."""
    inserted = await db.fetchval(
        """
        INSERT INTO qbt_torrents (hash, name, magnet, torrent_file, category, tags, save_path, stopped,
                                  ratio_limit, seeding_time_limit, inactive_seeding_time_limit)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        ON CONFLICT (hash) DO NOTHING
        RETURNING true
        """,
        hash,
        name,
        magnet,
        torrent_file,
        category,
        tags,
        save_path,
        stopped,
        *limits,
    )
    return bool(inserted)


async def torrents(db: Db, *, hashes: list[str] | None = None, category: str | None = None) -> list[TorrentRow]:
    found = await db.fetch(
        f"""
        SELECT {TORRENT_COLUMNS},
               coalesce((SELECT sum(downloaded) FROM qbt_files f WHERE f.hash = t.hash), 0)::bigint AS downloaded
        FROM qbt_torrents t
        WHERE ($1::text[] IS NULL OR hash = ANY($1::text[])) AND ($2::text IS NULL OR category = $2)
        ORDER BY added_on, hash
        """,
        hashes,
        category,
    )
    return rows_as(TorrentRow, found)


async def torrent(db: Db, torrent_hash: str) -> TorrentRow | None:
    found = await torrents(db, hashes=[torrent_hash])
    return found[0] if found else None


async def files(db: Db, torrent_hash: str) -> list[FileRow]:
    found = await db.fetch(
        "SELECT index, path, size, torbox_file_id, downloaded, done FROM qbt_files WHERE hash = $1 ORDER BY index",
        torrent_hash,
    )
    return rows_as(FileRow, found)


async def delete_torrents(db: Db, hashes: list[str]) -> list[TorrentRow]:
    """Remove them; what was removed (for TorBox and the files on disk), each with `files`: the paths of its
    own files inside its folder (nothing else there is its to delete)."""
    found = await db.fetch(
        f"""
        WITH owned AS (SELECT hash, array_agg(path ORDER BY index) AS files FROM qbt_files
                       WHERE hash = ANY($1::text[]) GROUP BY hash),
             gone AS (DELETE FROM qbt_torrents WHERE hash = ANY($1::text[]) RETURNING {TORRENT_COLUMNS})
        SELECT gone.*, coalesce(owned.files, '{{}}'::text[]) AS files FROM gone LEFT JOIN owned USING (hash)
        """,
        hashes,
    )
    return rows_as(TorrentRow, found)


async def set_category(db: Db, hashes: list[str], category: str) -> None:
    await db.execute("UPDATE qbt_torrents SET category = $2 WHERE hash = ANY($1::text[])", hashes, category)


async def set_stopped(db: Db, hashes: list[str] | None, stopped: bool) -> None:
    await db.execute(
        "UPDATE qbt_torrents SET stopped = $2, updated_at = now() WHERE $1::text[] IS NULL OR hash = ANY($1::text[])",
        hashes,
        stopped,
    )


async def set_share_limits(db: Db, hashes: list[str] | None, limits: tuple[float, int, int]) -> None:
    await db.execute(
        """
        UPDATE qbt_torrents SET ratio_limit = $2, seeding_time_limit = $3, inactive_seeding_time_limit = $4
        WHERE $1::text[] IS NULL OR hash = ANY($1::text[])
        """,
        hashes,
        *limits,
    )


# tags: a set of their own (qBittorrent keeps a tag until deleteTags); a torrent's are a sorted ',' list


async def tags(db: Db) -> list[str]:
    return [row["name"] for row in await db.fetch("SELECT name FROM qbt_tags ORDER BY name")]


async def create_tags(db: Db, tags: list[str]) -> None:
    await db.execute("INSERT INTO qbt_tags (name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING", tags)


async def add_tags(db: Db, hashes: list[str] | None, tags: list[str]) -> None:
    """Give the torrents (None: all) these tags, creating the ones that are new."""
    await db.execute(
        """
        WITH created AS (INSERT INTO qbt_tags (name) SELECT unnest($2::text[]) ON CONFLICT DO NOTHING)
        UPDATE qbt_torrents SET tags = array_to_string(ARRAY(
            SELECT DISTINCT t FROM unnest(string_to_array(nullif(tags, ''), ',') || $2::text[]) t ORDER BY t), ',')
        WHERE $1::text[] IS NULL OR hash = ANY($1::text[])
        """,
        hashes,
        tags,
    )


async def remove_tags(db: Db, hashes: list[str] | None, tags: list[str] | None) -> None:
    """Take these tags (None: every tag) off the torrents (None: all); the tags themselves stay."""
    await db.execute(
        """
        UPDATE qbt_torrents SET tags = CASE WHEN $2::text[] IS NULL THEN '' ELSE array_to_string(ARRAY(
            SELECT t FROM unnest(string_to_array(nullif(tags, ''), ',')) t WHERE NOT t = ANY($2::text[])
            ORDER BY t), ',') END
        WHERE $1::text[] IS NULL OR hash = ANY($1::text[])
        """,
        hashes,
        tags,
    )


async def delete_tags(db: Db, tags: list[str]) -> None:
    """Delete the tags, and take them off every torrent."""
    async with db.acquire() as connection, connection.transaction():
        await connection.execute("DELETE FROM qbt_tags WHERE name = ANY($1::text[])", tags)
        await remove_tags(connection, None, tags)


# categories


async def categories(db: Db) -> list[CategoryRow]:
    return rows_as(CategoryRow, await db.fetch("SELECT name, save_path FROM qbt_categories ORDER BY name"))


async def create_category(db: Db, name: str, save_path: str) -> bool:
    created = await db.fetchval(
        "INSERT INTO qbt_categories (name, save_path) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true",
        name,
        save_path,
    )
    return bool(created)


async def edit_category(db: Db, name: str, save_path: str) -> bool:
    return (
        await db.fetchval("UPDATE qbt_categories SET save_path = $2 WHERE name = $1 RETURNING true", name, save_path)
        is not None
    )


async def remove_categories(db: Db, names: list[str]) -> None:
    async with db.acquire() as connection, connection.transaction():
        await connection.execute("DELETE FROM qbt_categories WHERE name = ANY($1::text[])", names)
        await connection.execute("UPDATE qbt_torrents SET category = '' WHERE category = ANY($1::text[])", names)


# the background work


async def claim_for_submission(db: Db, holder: str, lease_seconds: float, limit: int = 5) -> list[Submission]:
    """Torrents waiting for TorBox, now leased to `holder`: no other replica adds them while the lease runs
    (one that dies mid-add leaves them to the next replica once it runs out; TorBox then finds the duplicate)."""
    found = await db.fetch(
        """
        WITH due AS (
            SELECT hash FROM qbt_torrents
            WHERE phase = 'queued' AND NOT stopped AND (retry_at IS NULL OR retry_at <= now())
              AND (lease_until IS NULL OR lease_until < now() OR lease_holder = $1)
            ORDER BY added_on LIMIT $3 FOR UPDATE SKIP LOCKED
        )
        UPDATE qbt_torrents t SET lease_holder = $1, lease_until = now() + make_interval(secs => $2)
        FROM due WHERE t.hash = due.hash
        RETURNING t.hash, t.name, t.category, t.magnet, t.torrent_file, t.added_on
        """,
        holder,
        float(lease_seconds),
        limit,
    )
    return rows_as(Submission, sorted(found, key=lambda row: row["added_on"]))


async def mark_submitted(db: Db, torrent_hash: str, torbox_id: int | None, queued_id: int | None) -> bool:
    """False when the torrent is no longer waiting for TorBox (deleted while its add was in flight)."""
    return (
        await db.fetchval(
            """
        UPDATE qbt_torrents SET phase = 'submitted', torbox_id = $2, torbox_queued_id = $3, retry_at = NULL,
               error = NULL, lease_holder = NULL, lease_until = NULL, updated_at = now()
        WHERE hash = $1 AND phase = 'queued' RETURNING true
        """,
            torrent_hash,
            torbox_id,
            queued_id,
        )
        is not None
    )


async def retry_later(db: Db, torrent_hash: str, at: datetime, reason: str) -> None:
    await db.execute(
        "UPDATE qbt_torrents SET retry_at = $2, error = $3, lease_holder = NULL, lease_until = NULL,"
        " updated_at = now() WHERE hash = $1",
        torrent_hash,
        at,
        reason,
    )


async def in_the_cloud(db: Db) -> list[TorrentRow]:
    found = await db.fetch(
        f"SELECT {TORRENT_COLUMNS} FROM qbt_torrents WHERE phase IN ('submitted', 'cloud') ORDER BY added_on"
    )
    return rows_as(TorrentRow, found)


async def update_cloud(
    db: Db,
    torrent_hash: str,
    *,
    torbox_id: int | None,
    state: str,
    progress: float,
    speed: int,
    eta: int | None,
    size: int,
    name: str | None,
) -> None:
    await db.execute(
        """
        UPDATE qbt_torrents SET phase = 'cloud', torbox_id = coalesce($2, torbox_id), cloud_state = $3,
               cloud_progress = $4, cloud_speed = $5, cloud_eta = $6, size = CASE WHEN $7 > 0 THEN $7 ELSE size END,
               name = coalesce($8, name), updated_at = now()
        WHERE hash = $1 AND phase IN ('submitted', 'cloud')
        """,
        torrent_hash,
        torbox_id,
        state,
        progress,
        speed,
        eta,
        size,
        name,
    )


async def start_local(
    db: Db,
    torrent_hash: str,
    torbox_id: int,
    files: list[tuple[int, str, int, int]],
    size: int,
    name: str | None = None,
) -> bool:
    """Cloud → local with the file list and TorBox's id of the torrent (a torrent TorBox queued gets its id only
    when it starts — it may be seen first already finished); False if it already moved on (another poll, or
    deleted)."""
    async with db.acquire() as connection, connection.transaction():
        moved = await connection.fetchval(
            """
            UPDATE qbt_torrents SET phase = 'local', cloud_progress = 1, cloud_speed = 0, size = $2,
                   name = coalesce($3, name), torbox_id = $4, torbox_queued_id = NULL, updated_at = now()
            WHERE hash = $1 AND phase IN ('submitted', 'cloud') RETURNING true
            """,
            torrent_hash,
            size,
            name,
            torbox_id,
        )
        if not moved:
            return False
        await connection.executemany(
            "INSERT INTO qbt_files (hash, index, path, size, torbox_file_id) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT DO NOTHING",
            [(torrent_hash, index, path, file_size, file_id) for index, path, file_size, file_id in files],
        )
        return True


async def claim_files(db: Db, holder: str, lease_seconds: float, limit: int) -> list[FileWork]:
    """Files to download, now leased to `holder` (at most `limit` new ones): each is fetched by one replica,
    and one whose holder stopped renewing is taken over here, resuming from its `.part` file."""
    found = await db.fetch(
        """
        WITH free AS (
            SELECT f.hash, f.index FROM qbt_files f JOIN qbt_torrents t USING (hash)
            WHERE t.phase = 'local' AND NOT t.stopped AND NOT f.done
              AND (f.lease_until IS NULL OR f.lease_until < now())
            ORDER BY t.added_on, f.index LIMIT $3 FOR UPDATE OF f SKIP LOCKED
        )
        UPDATE qbt_files f SET lease_holder = $1, lease_until = now() + make_interval(secs => $2)
        FROM free, qbt_torrents t
        WHERE f.hash = free.hash AND f.index = free.index AND t.hash = f.hash
        RETURNING f.hash, f.index, f.path, f.size, f.torbox_file_id, f.downloaded, t.name, t.save_path,
                  t.torbox_id, t.added_on
        """,
        holder,
        float(lease_seconds),
        limit,
    )
    return rows_as(FileWork, sorted(found, key=lambda row: (row["added_on"], row["index"])))


async def renew_files(
    db: Db, holder: str, lease_seconds: float, progress: list[tuple[str, int, int]]
) -> set[tuple[str, int]]:
    """Save each held file's bytes on disk and renew its lease; the (hash, index) still held. One missing was
    taken away: its torrent deleted or paused (perhaps through another replica), or its lease ran out."""
    found = await db.fetch(
        """
        UPDATE qbt_files f SET downloaded = p.downloaded,
               lease_until = now() + make_interval(secs => $2)
        FROM unnest($3::text[], $4::int[], $5::bigint[]) AS p(hash, index, downloaded), qbt_torrents t
        WHERE f.hash = p.hash AND f.index = p.index AND f.lease_holder = $1 AND NOT f.done
          AND t.hash = f.hash AND t.phase = 'local' AND NOT t.stopped
        RETURNING f.hash, f.index
        """,
        holder,
        float(lease_seconds),
        [h for h, _, _ in progress],
        [i for _, i, _ in progress],
        [n for _, _, n in progress],
    )
    return {(row["hash"], row["index"]) for row in found}


async def next_lease_expiry(db: Db) -> float | None:
    """Seconds until the first lease of a file still to download runs out (None: no file is leased)."""
    return await db.fetchval(
        """
        SELECT extract(epoch FROM min(f.lease_until) - now())::float8
        FROM qbt_files f JOIN qbt_torrents t USING (hash)
        WHERE t.phase = 'local' AND NOT t.stopped AND NOT f.done AND f.lease_until IS NOT NULL
        """
    )


async def release_files(db: Db, holder: str) -> None:
    """A clean stop: this replica's files go back at once (their `.part` files stay to be resumed)."""
    await db.execute("UPDATE qbt_files SET lease_holder = NULL, lease_until = NULL WHERE lease_holder = $1", holder)


async def file_done(connection: asyncpg.Connection, torrent_hash: str, index: int, size: int) -> bool:
    """Mark a file done, inside the caller's transaction; True when it was the torrent's last one (the torrent
    is then completed: its event belongs in the same transaction)."""
    # the torrent's row first: two files finishing at once would each see the other still undone
    await connection.execute("SELECT 1 FROM qbt_torrents WHERE hash = $1 FOR UPDATE", torrent_hash)
    await connection.execute(
        "UPDATE qbt_files SET done = true, downloaded = $3 WHERE hash = $1 AND index = $2",
        torrent_hash,
        index,
        size,
    )
    left = await connection.fetchval("SELECT count(*) FROM qbt_files WHERE hash = $1 AND NOT done", torrent_hash)
    if left:
        return False
    completed = await connection.fetchval(
        """
        UPDATE qbt_torrents SET phase = 'completed', completion_on = now(), error = NULL, updated_at = now()
        WHERE hash = $1 AND phase = 'local' RETURNING true
        """,
        torrent_hash,
    )
    return bool(completed)


async def fail(db: Db, torrent_hash: str, message: str) -> None:
    await db.execute(
        "UPDATE qbt_torrents SET phase = 'error', error = $2, updated_at = now() WHERE hash = $1",
        torrent_hash,
        message,
    )
