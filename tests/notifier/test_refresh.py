"""Finished downloads refresh every enabled media server: the files' mapped paths, one call per server per
window, retried when a server fails, never lost while the notifier is down."""

import asyncio
import time

import httpx

from libs.bus import Bus, ensure_streams, publish
from libs.schemas import TORRENT_STATUS, TorrentStatus
from services.notifier.app import build
from services.notifier.config import NotifierConfig
from tests.conftest import make_settings
from tests.support.asgi import eventually, serving

MAPPINGS = [{"from": "/data/downloads/tv", "to": "/media/tv"}, {"from": "/data/downloads", "to": "/media/other"}]


def completed(name: str, files: list[str] | None = None, folder: str = "/data/downloads/tv") -> TorrentStatus:
    content = f"{folder}/{name}"
    return TorrentStatus(
        hash=f"{abs(hash(name)):040x}"[:40],
        name=name,
        state="completed",
        content_path=content,
        files=[f"{content}/{f}" for f in (files or [f"{name}.mkv"])],
    )


def library_calls(server):
    return [call for call in server.calls if call[1].startswith("/Library")]


async def test_one_call_per_server_with_the_mapped_file_paths(notifier):
    await notifier.enable_both(coalesce=0.5, mappings=MAPPINGS)
    await publish(notifier.bus, TORRENT_STATUS, completed("Show.S01E01", ["Show.S01E01.mkv", "Show.S01E01.nfo"]))
    await publish(notifier.bus, TORRENT_STATUS, TorrentStatus(hash="a" * 40, name="x", state="downloading"))
    await eventually(lambda: library_calls(notifier.jellyfin) and library_calls(notifier.emby), timeout=10)
    for server in (notifier.jellyfin, notifier.emby):
        ((_, path, paths),) = library_calls(server)
        assert path == "/Library/Media/Updated"
        assert paths == ["/media/tv/Show.S01E01/Show.S01E01.mkv", "/media/tv/Show.S01E01/Show.S01E01.nfo"]


async def test_completions_within_the_window_are_one_call_per_server(notifier):
    await notifier.enable_both(coalesce=1.5)
    started = time.monotonic()
    for n in range(30):
        await publish(notifier.bus, TORRENT_STATUS, completed(f"Show.S01E{n:02d}"))
    await eventually(lambda: library_calls(notifier.jellyfin) and library_calls(notifier.emby), timeout=10)
    await asyncio.sleep(2.0)  # a second call would come within another window
    for server in (notifier.jellyfin, notifier.emby):
        calls = library_calls(server)
        assert len(calls) == 1 and len(calls[0][2]) == 30
        assert calls[0][0] - started <= 1.5 + 1.0  # the first call at most a second after the window
        assert all(p.endswith(".mkv") for p in calls[0][2])  # files, never sibling folders


async def test_a_completion_without_paths_refreshes_the_whole_library(notifier):
    await notifier.enable_both(coalesce=0.2)
    await publish(notifier.bus, TORRENT_STATUS, TorrentStatus(hash="b" * 40, name="x", state="completed"))
    await eventually(lambda: library_calls(notifier.jellyfin), timeout=10)
    assert [c[1] for c in library_calls(notifier.jellyfin)] == ["/Library/Refresh"]


async def test_a_failing_server_is_retried_and_holds_nobody_back(notifier):
    await notifier.enable_both(coalesce=0.2)
    notifier.jellyfin.down = True
    await publish(notifier.bus, TORRENT_STATUS, completed("Film.2020"))
    await eventually(lambda: library_calls(notifier.emby), timeout=10)  # Emby is told although Jellyfin is down
    assert library_calls(notifier.jellyfin) == []
    notifier.jellyfin.down = False
    await eventually(lambda: library_calls(notifier.jellyfin), timeout=15)  # retried after its back-off
    assert library_calls(notifier.jellyfin)[0][2] == ["/data/downloads/tv/Film.2020/Film.2020.mkv"]


async def test_completions_while_the_notifier_is_down_are_not_lost(tmp_path, fresh_dsn, nats_url, media_servers):
    jellyfin, _ = media_servers
    settings = make_settings(tmp_path, DATABASE_URL=fresh_dsn, NATS_URL=nats_url)
    bus = await Bus.connect(nats_url, "tests")
    await ensure_streams(bus)
    await bus.js.purge_stream("TORRENT_STATUS")
    headers = {"Authorization": f"Bearer {settings.admin_token}"}
    try:
        app = build(settings, NotifierConfig(tick_seconds=0.1))
        async with serving(app) as base, httpx.AsyncClient(base_url=base) as client:
            server = {"enabled": True, "url": jellyfin.base_url, "apiKey": jellyfin.api_key}
            document = {"jellyfin": server, "coalesceSeconds": 0.2}
            assert (await client.patch("/settings/integrations", json=document, headers=headers)).status_code == 200
        # the notifier is gone; three downloads finish meanwhile
        for n in range(3):
            await publish(bus, TORRENT_STATUS, completed(f"Late.Show.S01E0{n}"))
        await asyncio.sleep(0.5)
        assert library_calls(jellyfin) == []
        async with serving(build(settings, NotifierConfig(tick_seconds=0.1))):
            await eventually(lambda: library_calls(jellyfin), timeout=10)
    finally:
        await bus.close()
    ((_, _, paths),) = library_calls(jellyfin)
    assert len(paths) == 3


async def test_two_replicas_send_each_refresh_once(notifier):
    """Both replicas consume completions (one durable shared) and both flush the queue: a path is sent by
    the replica that claimed it, never by both."""
    await notifier.enable_both(coalesce=1.0)
    async with serving(build(notifier.settings, NotifierConfig(tick_seconds=0.1, poll_seconds=0.3))):
        for n in range(40):
            await publish(notifier.bus, TORRENT_STATUS, completed(f"Twin.Show.S01E{n:02d}"))
        await eventually(lambda: sum(len(c[2]) for c in library_calls(notifier.jellyfin)) >= 40, timeout=15)
        await asyncio.sleep(2.5)  # a second send of the same paths would come meanwhile
    for server in (notifier.jellyfin, notifier.emby):
        sent = [path for call in library_calls(server) for path in call[2]]
        assert len(sent) == 40 and len(set(sent)) == 40
