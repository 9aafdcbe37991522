"""The one race that would leave a torrent downloading for ever: its last two files finishing together."""

import asyncio

from libs.db import create_pool, migrate, transaction
from services.qbt_shim import repository as repo
from services.qbt_shim.app import MIGRATIONS


async def done(db, torrent_hash: str, index: int, size: int) -> bool:
    async with transaction(db) as connection:
        return await repo.file_done(connection, torrent_hash, index, size)


async def test_two_last_files_finishing_at_once_complete_the_torrent_once(fresh_dsn):
    db = await create_pool(fresh_dsn, min_size=2, max_size=4)
    try:
        await migrate(db, "qbt-shim", MIGRATIONS)
        for n in range(20):  # a race shows only sometimes: twenty torrents, each with two files at once
            torrent_hash = f"{n:040x}"
            await repo.insert_torrent(
                db, hash=torrent_hash, name=f"t{n}", magnet=None, torrent_file=None,
                category="", tags="", save_path="/x", stopped=False,
            )  # fmt: skip
            await repo.mark_submitted(db, torrent_hash, 1000 + n, None)
            assert await repo.start_local(db, torrent_hash, 7, [(0, "a.mkv", 10, 0), (1, "b.nfo", 1, 1)], 11)
            completed = await asyncio.gather(done(db, torrent_hash, 0, 10), done(db, torrent_hash, 1, 1))
            assert sorted(completed) == [False, True], n
            assert (await repo.torrent(db, torrent_hash)).phase == "completed"
    finally:
        await db.close()
