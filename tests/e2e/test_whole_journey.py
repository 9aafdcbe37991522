"""The whole journey through Traefik only: an admin adds a pool key and a user; the user's Stremio lists an
episode's streams (one trace across stream-proxy, pool-allocator and indexer-stats) and plays one; Sonarr adds
a magnet through the qBittorrent API, it lands on disk, Jellyfin is told the file's path as it sees it; the
indexer statistics show the searches and the pool the play."""

from pathlib import Path
from urllib.parse import unquote

import httpx

from tests.fakes.catalogue import THRONES, hash_of
from tests.fakes.torbox import file_bytes
from tests.support.asgi import eventually

EPISODE = ("9" * 40, "Journey.Show.S02E05.1080p.WEB", [("Journey.Show.S02E05.1080p.WEB.mkv", 1_200_000)])


async def test_the_whole_journey_through_traefik(whole_stack, spans, log_lines):
    stack, client = whole_stack, whole_stack.client
    config = await stack.add_pool_user("viewer@example.com")
    await stack.tell_jellyfin()

    # Stremio installs the add-on and lists an episode's streams
    manifest = await client.get(f"/stremio/torz/{config}/manifest.json")
    assert manifest.status_code == 200 and manifest.json()["behaviorHints"]["configurationRequired"] is False
    spans.clear()
    listed = await client.get(f"/stremio/torz/{config}/stream/series/{THRONES}:1:2.json", headers={"User-Agent": "TV"})
    streams = listed.json()["streams"]
    assert [s["description"].split("\n")[0] for s in streams] == [
        "Game.of.Thrones.S01.1080p.BluRay.x264-GRP",
        "Game.of.Thrones.S01E02.720p.HDTV.x264-GRP",
        "Game.of.Thrones.S01E02.2160p.WEB.h265-GRP",
    ]
    assert all(s["url"].startswith(stack.public + "/stremio/torz/") for s in streams)  # reachable through Traefik
    server = next(s for s in spans.get_finished_spans() if s.name.startswith("GET /stremio/torz/{config}/stream"))
    scopes = {
        s.instrumentation_scope.name
        for s in spans.get_finished_spans()
        if s.context.trace_id == server.context.trace_id
    }
    assert {"stream-proxy", "pool-allocator", "indexer-stats"} <= scopes

    # ... and plays the first: a redirect to the right file of the season pack on TorBox's CDN
    played = await client.get(streams[0]["url"], headers={"User-Agent": "TV"})
    assert played.status_code == 302
    location = played.headers["location"]
    name = "Game.of.Thrones.S01E02.1080p.BluRay.x264-GRP.mkv"
    pack = "Game.of.Thrones.S01.1080p.BluRay.x264-GRP"
    assert unquote(location).endswith("/" + name) and stack.settings.secret_key not in location
    async with httpx.AsyncClient() as cdn:
        head = await cdn.get(location, headers={"Range": "bytes=0-15"})
    assert head.content == file_bytes(hash_of(pack), f"{pack}/{name}", 0, 15)
    # the TV asking again is the same stream; the phone playing the link the TV resolved is one more
    assert (await client.head(streams[0]["url"], headers={"User-Agent": "TV"})).status_code == 302
    phone = await client.get(streams[0]["url"], headers={"User-Agent": "Phone"})
    assert phone.status_code == 302 and phone.headers["location"] == location

    # Sonarr: login, the version check, a magnet
    stack.torbox.add_torrent(*EPISODE, cached=False)
    await stack.qbittorrent_login()
    assert (await client.get("/api/v2/app/webapiVersion")).text == "2.11.4"
    magnet = f"magnet:?xt=urn:btih:{EPISODE[0]}&dn={EPISODE[1]}"
    assert (await client.post("/api/v2/torrents/add", data={"urls": magnet, "category": "tv-sonarr"})).text == "Ok."

    async def finished():
        (torrent,) = (await client.get("/api/v2/torrents/info", params={"category": "tv-sonarr"})).json()
        return torrent if torrent["state"] == "stoppedUP" else None

    torrent = await eventually(finished, timeout=20)
    content = Path(torrent["content_path"])
    file_name, size = EPISODE[2][0]
    assert (content / file_name).read_bytes() == file_bytes(EPISODE[0], f"{EPISODE[1]}/{file_name}", 0, size - 1)

    # Jellyfin is told the file, as Jellyfin sees it
    await eventually(lambda: stack.jellyfin.calls, timeout=10)
    ((_, path, paths),) = stack.jellyfin.calls
    assert (path, paths) == ("/Library/Media/Updated", [f"/media/downloads/tv-sonarr/{EPISODE[1]}/{file_name}"])

    # after import Sonarr deletes the torrent with its files
    deleted = await client.post("/api/v2/torrents/delete", data={"hashes": EPISODE[0], "deleteFiles": "true"})
    assert deleted.status_code == 200 and not content.exists()

    # the indexer statistics count the searches (the slow indexer's as a timeout), the pool the play
    async def searches_counted():
        rows = (await client.get("/indexers/api/indexers", headers=stack.admin)).json()
        by_name = {row["name"]: row for row in rows}
        return by_name.get("Fast", {}).get("requests24h") and by_name.get("Slow", {}).get("timeouts24h") and by_name

    shown = await eventually(searches_counted)
    assert shown["Fast"]["successes24h"] >= 1 and shown["Slow"]["timeouts24h"] >= 1

    async def play_counted():
        (user,) = (await client.get("/pool/usage", headers=stack.admin)).json()["byUser"] or [None]
        return user

    assert (await eventually(lambda: _with(play_counted, lambda user: user["streams"] == 2)))["streams"] == 2

    # and no log line of the whole journey holds a key, a token or a password
    out = log_lines.text()
    assert "requestdl" in out  # the lines TorBox's key was sent in are there, and masked
    for secret in stack.secrets:
        assert secret not in out


async def _with(read, condition):
    value = await read()
    return value if value and condition(value) else None
