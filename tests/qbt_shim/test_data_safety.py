"""What a delete, a crash or a fault must never do: lose the event that tells Jellyfin, delete another
torrent's files, or leave a torrent in the TorBox account that nobody here knows of."""

import asyncio
import hashlib
from pathlib import Path

from tests.support.asgi import eventually

from .conftest import EPISODE, MOVIE, TOKEN, UNCACHED
from .test_downloads import add, assert_on_disk, completed, status_events


async def _outbox_away(shim, away: bool) -> None:
    """The outbox table unreachable: every insert into it fails, as a crash between two statements would."""
    async with shim.app.state.shim.db.acquire() as connection:
        old, new = ("qbt_outbox", "qbt_outbox_away") if away else ("qbt_outbox_away", "qbt_outbox")
        await connection.execute(f"ALTER TABLE {old} RENAME TO {new}")


async def test_a_completion_is_never_kept_without_its_event(shim):
    await add(shim, EPISODE, category="tv-sonarr")
    await _outbox_away(shim, True)
    await asyncio.sleep(3)  # TorBox has it at once; the files download; the completion cannot be recorded
    assert (await shim.one(EPISODE[0]))["state"] != "stoppedUP"
    await _outbox_away(shim, False)
    done = await completed(shim, EPISODE[0])
    assert_on_disk(Path(done["content_path"]), EPISODE)

    async def completed_event():
        return next((e for e in await status_events(shim, EPISODE[0]) if e.state == "completed"), None)

    event = await eventually(completed_event, timeout=15)
    assert len(event.files) == len(EPISODE[2])


async def test_delete_with_files_removes_only_that_torrents_own_files(shim):
    await add(shim, EPISODE, category="tv-sonarr")
    episode = await completed(shim, EPISODE[0])
    # a magnet named like the category folder, added with no category: its folder *is* <root>/tv-sonarr
    movie_hash, _, movie_files = MOVIE
    response = await shim.client.post(
        "/api/v2/torrents/add", data={"urls": f"magnet:?xt=urn:btih:{movie_hash}&dn=tv-sonarr"}
    )
    assert response.text == "Ok."
    movie = await completed(shim, movie_hash)
    assert Path(movie["content_path"]) == shim.root.resolve() / "tv-sonarr"
    (movie_file,) = [p for p in Path(movie["content_path"]).iterdir() if p.is_file()]
    assert movie_file.stat().st_size == movie_files[0][1]
    deleted = await shim.client.post("/api/v2/torrents/delete", data={"hashes": movie_hash, "deleteFiles": "true"})
    assert deleted.status_code == 200
    assert not movie_file.exists()
    assert_on_disk(Path(episode["content_path"]), EPISODE)  # the other torrent's finished files are still there
    assert (await shim.info()) == [await shim.one(EPISODE[0])]


async def test_a_torrent_deleted_while_torbox_adds_it_is_deleted_at_torbox(shim):
    shim.torbox.latency = 1.0  # the add takes a second at TorBox
    await add(shim, UNCACHED)
    await asyncio.sleep(0.4)  # the cloud worker was nudged by the add: its createtorrent is under way
    assert not shim.torbox.accounts[TOKEN].torrents
    deleted = await shim.client.post("/api/v2/torrents/delete", data={"hashes": UNCACHED[0], "deleteFiles": "false"})
    assert deleted.status_code == 200 and await shim.info() == []
    account = shim.torbox.accounts[TOKEN]

    async def gone():
        return not account.torrents or None

    await asyncio.sleep(1.0)
    assert await eventually(gone, timeout=10)


async def test_files_that_cannot_be_saved_end_the_torrent_in_error_with_why(shim):
    """A name that climbs out (`..`), or one longer than a file system takes, can never be written: the
    torrent says so in `error` once, instead of stalling and retrying every 15 s for ever."""
    cases = {
        "dotdot": [("..", 10)],
        "climbs": [("../x.mkv", 10)],
        "toolong": [("\u00e9" * 200 + ".mkv", 10)],  # 404 bytes: over the 255 a file name may have
    }
    hashes = {}
    for name, files in cases.items():
        torrent_hash = hashlib.sha1(name.encode()).hexdigest()
        shim.torbox.add_torrent(torrent_hash, f"Bad.{name}", files)
        hashes[name] = torrent_hash
        response = await shim.client.post(
            "/api/v2/torrents/add", data={"urls": f"magnet:?xt=urn:btih:{torrent_hash}&dn=Bad.{name}"}
        )
        assert response.text == "Ok."

    async def all_failed():
        listed = {t["hash"]: t for t in await shim.info()}
        return listed if all(listed[h]["state"] == "error" for h in hashes.values()) else None

    listed = await eventually(all_failed, timeout=15)
    for torrent_hash in hashes.values():
        assert (
            "cannot be saved"
            in (await shim.client.get("/api/v2/torrents/properties", params={"hash": torrent_hash})).json()["comment"]
        )
    assert not [p for p in shim.root.rglob("*") if p.is_file()]
    assert len(listed) == 3
