"""From an add to files on disk: TorBox, then the local download, then a completed torrent whose
content_path holds exactly the bytes TorBox has — resumed after a cut, never an error page."""

import asyncio
from pathlib import Path

import httpx
import msgspec

from libs.schemas import TorrentStatus
from services.qbt_shim.app import build
from tests.fakes.torbox import file_bytes
from tests.support.asgi import eventually, serving

from .conftest import EPISODE, MOVIE, PASSWORD, SHIM_CONFIG, TOKEN, UNCACHED, magnet, shim_settings


async def add(shim, torrent, **fields) -> None:
    response = await shim.client.post("/api/v2/torrents/add", data={"urls": magnet(torrent), **fields})
    assert response.text == "Ok."


async def completed(shim, torrent_hash: str, timeout: float = 20) -> dict:
    async def done():
        listed = await shim.one(torrent_hash)
        return listed if listed["state"] == "stoppedUP" else None

    return await eventually(done, timeout=timeout)


def assert_on_disk(content: Path, torrent) -> None:
    torrent_hash, name, files = torrent
    for file_name, size in files:
        data = (content / file_name).read_bytes()
        assert len(data) == size and data == file_bytes(torrent_hash, f"{name}/{file_name}", 0, size - 1)
    assert not list(content.rglob("*.part"))


async def status_events(shim, torrent_hash: str) -> list[TorrentStatus]:
    state = (await shim.bus.js.stream_info("TORRENT_STATUS")).state
    found = []
    for seq in range(state.first_seq, state.last_seq + 1):
        try:
            message = await shim.bus.js.get_msg("TORRENT_STATUS", seq)
        except Exception:
            continue
        event = msgspec.json.decode(message.data, type=TorrentStatus)
        if event.hash == torrent_hash:
            found.append(event)
    return found


async def test_a_cached_episode_lands_in_its_category_folder_and_completes(shim):
    await add(shim, EPISODE, category="tv-sonarr")
    done = await completed(shim, EPISODE[0])
    content = Path(done["content_path"])
    assert content == shim.root.resolve() / "tv-sonarr" / EPISODE[1] and done["content_path"] != done["save_path"]
    assert_on_disk(content, EPISODE)
    assert (done["progress"], done["amount_left"], done["eta"], done["ratio"], done["ratio_limit"]) == (1, 0, 0, 1, 1)
    assert done["completion_on"] > 0
    files = (await shim.client.get("/api/v2/torrents/files", params={"hash": EPISODE[0]})).json()
    assert [f["name"] for f in files] == [f"{EPISODE[1]}/{n}" for n, _ in EPISODE[2]]
    events = await eventually(lambda: _completed_event(shim, EPISODE[0]))
    assert events.content_path == str(content) and sorted(events.files) == sorted(
        str(content / n) for n, _ in EPISODE[2]
    )


async def _completed_event(shim, torrent_hash):
    return next((e for e in await status_events(shim, torrent_hash) if e.state == "completed"), None)


async def test_an_uncached_torrent_shows_torbox_progress_then_completes(shim):
    await add(shim, UNCACHED)
    seen = set()

    async def finished():
        listed = await shim.one(UNCACHED[0])
        seen.add(listed["state"])
        return listed["state"] == "stoppedUP"

    await eventually(finished, timeout=20, interval=0.05)
    assert "downloading" in seen and "error" not in seen
    assert_on_disk(shim.root.resolve() / UNCACHED[1], UNCACHED)
    states = [e.state for e in await status_events(shim, UNCACHED[0])]
    assert states[0] == "queued" and states[-1] == "completed" and "downloading" in states


async def test_a_restart_in_the_middle_of_a_file_resumes_with_range(tmp_path, fresh_dsn, nats_url, torbox):
    settings = shim_settings(tmp_path, fresh_dsn, nats_url, torbox)
    torbox.cdn_rate = 1_000_000  # 2.5 MB take 2.5 s
    part = settings.download_root.resolve() / "movies" / MOVIE[1] / f"{MOVIE[2][0][0]}.part"
    async with serving(build(settings, SHIM_CONFIG)) as base:
        client = await _logged_in(base)
        await client.post("/api/v2/torrents/add", data={"urls": magnet(MOVIE), "category": "movies"})
        await eventually(lambda: part.exists() and part.stat().st_size > 600_000, timeout=15, interval=0.05)
        await client.aclose()
    # the service is gone in the middle of the file; a new one takes over the same database and folder
    kept = part.stat().st_size
    torbox.cdn_rate = None
    async with serving(build(settings, SHIM_CONFIG)) as base:
        client = await _logged_in(base)
        harness = type("Harness", (), {"one": lambda self, h: _one(client, h)})()
        done = await completed(harness, MOVIE[0])
        await client.aclose()
    assert_on_disk(Path(done["content_path"]), MOVIE)
    resumed = [r for r in torbox.cdn_ranges if r and r != "bytes=0-"]
    assert resumed and int(resumed[-1][6:-1]) >= kept - 1_100_000  # from where the .part file stood
    assert sum(1 for c in torbox.calls if c[1].endswith("createtorrent")) == 1  # not added to TorBox twice


async def _logged_in(base: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=30)
    assert (await client.post("/api/v2/auth/login", data={"username": "admin", "password": PASSWORD})).text == "Ok."
    return client


async def _one(client: httpx.AsyncClient, torrent_hash: str) -> dict:
    (found,) = (await client.get("/api/v2/torrents/info", params={"hashes": torrent_hash})).json()
    return found


async def test_an_error_page_from_the_cdn_is_never_saved_as_the_file(shim):
    shim.torbox.cdn_error_page = True
    await add(shim, MOVIE)
    target = shim.root.resolve() / MOVIE[1] / MOVIE[2][0][0]
    await eventually(lambda: len(shim.torbox.cdn_ranges) >= 1, timeout=10)
    await asyncio.sleep(0.5)
    listed = await shim.one(MOVIE[0])
    assert listed["state"] == "stalledDL" and not target.exists()
    shim.torbox.cdn_error_page = False
    shim.app.state.shim.downloader._retry_at.clear()  # instead of waiting out the 15 s pause
    shim.app.state.shim.downloader.nudge()
    done = await completed(shim, MOVIE[0])
    assert_on_disk(Path(done["content_path"]), MOVIE)


async def test_a_torrent_torbox_reports_dead_is_an_error_not_a_failure(shim):
    shim.torbox.dead.add(UNCACHED[0])
    await add(shim, UNCACHED)

    async def errored():
        return (await shim.one(UNCACHED[0]))["state"] == "error"

    await eventually(errored, timeout=10)
    listed = await shim.one(UNCACHED[0])
    assert "failed" in listed["comment"]
    assert [e.state for e in await status_events(shim, UNCACHED[0])][-1] == "error"


async def test_delete_with_files_removes_them_here_and_the_torrent_at_torbox(shim):
    await add(shim, EPISODE, category="tv")
    done = await completed(shim, EPISODE[0])
    content = Path(done["content_path"])
    assert content.exists()
    response = await shim.client.post("/api/v2/torrents/delete", data={"hashes": EPISODE[0], "deleteFiles": "true"})
    assert response.status_code == 200
    assert not content.exists() and content.parent.exists()  # the category folder stays
    assert await shim.info() == []
    assert shim.torbox.accounts[TOKEN].torrents == {}  # removed at TorBox (controltorrent delete)
    assert (await status_events(shim, EPISODE[0]))[-1].state == "deleted"


async def test_delete_without_files_keeps_them(shim):
    await add(shim, MOVIE)
    done = await completed(shim, MOVIE[0])
    await shim.client.post("/api/v2/torrents/delete", data={"hashes": MOVIE[0]})  # Sonarr omits deleteFiles
    assert Path(done["content_path"]).exists() and await shim.info() == []


async def test_the_widget_counts(shim):
    await add(shim, EPISODE)
    await add(shim, MOVIE, stopped="true")
    await completed(shim, EPISODE[0])
    widget = (await shim.client.get("/widget")).json()
    assert widget == {
        "active": 0,
        "completed": 1,
        "stopped": 1,
        "total": 2,
        "download_speed_bytes": 0,
        "download_speed_human": "0 B/s",
    }


async def test_a_magnet_without_a_name_takes_the_name_torbox_reads(shim):
    response = await shim.client.post("/api/v2/torrents/add", data={"urls": f"magnet:?xt=urn:btih:{MOVIE[0]}"})
    assert response.text == "Ok." and (await shim.one(MOVIE[0]))["name"] == MOVIE[0]
    done = await completed(shim, MOVIE[0])
    assert done["name"] == MOVIE[1] and done["content_path"].endswith("/" + MOVIE[1])
    assert_on_disk(Path(done["content_path"]), MOVIE)
