"""qbt-shim driven by the libraries its users' tools are built on — `qbittorrent-api` (PyPI: scripts, qBitrr,
autoremove-torrents) and `@ctrl/qbittorrent` (npm: Homarr's download widget): every call they make against a
real qBittorrent works here, with qBittorrent's answers — `sync/maindata` full and then only the changes by
`rid`, trackers, webseeds, peers, tags written `a, b` and kept once created, a duplicate add refused."""

import asyncio
import base64
import json
from pathlib import Path

import pytest
import qbittorrentapi

from tests.fakes.catalogue import torrent_file

from .conftest import EPISODE, MOVIE, PASSWORD, magnet

CTRL_CLIENT = Path(__file__).resolve().parents[1] / "node" / "qbittorrent_client.mjs"


def client_of(shim) -> qbittorrentapi.Client:
    host, port = shim.base.removeprefix("http://").split(":")
    return qbittorrentapi.Client(
        host=host, port=int(port), username="admin", password=PASSWORD, REQUESTS_ARGS={"timeout": 15}
    )


async def test_qbittorrent_api_drives_the_shim(shim):
    def drive() -> None:
        client = client_of(shim)
        client.auth_log_in()
        assert client.app_version() == "v5.1.4" and client.app_web_api_version() == "2.11.4"
        first = client.sync_maindata(rid=0)
        assert first.full_update and first.torrents == {} and "connection_status" in first.server_state
        assert client.torrents_add(urls=magnet(EPISODE), category="tv", tags="b,a") == "Ok."
        (torrent,) = client.torrents_info(category="tv")
        assert torrent.hash == EPISODE[0] and torrent.tags == "a, b"  # sorted, comma and space
        assert client.torrents_tags() == ["a", "b"]
        assert client.torrents_properties(torrent_hash=EPISODE[0]).save_path.endswith("/tv")
        assert [t.url for t in client.torrents_trackers(torrent_hash=EPISODE[0])] == [
            "** [DHT] **", "** [PeX] **", "** [LSD] **",
        ]  # fmt: skip
        assert client.torrents_webseeds(torrent_hash=EPISODE[0]) == []
        assert client.sync_torrent_peers(torrent_hash=EPISODE[0]).peers == {}
        with pytest.raises(qbittorrentapi.NotFound404Error):
            client.torrents_trackers(torrent_hash="f" * 40)

        added = client.sync_maindata(rid=first.rid)  # the changes since: the new torrent, its category and tags
        assert not added.get("full_update") and EPISODE[0] in added.torrents
        assert added.categories["tv"]["savePath"].endswith("/tv") and sorted(added.tags) == ["a", "b"]
        client.torrents_add_tags(tags="c", torrent_hashes=EPISODE[0])
        client.torrents_add(urls=magnet(MOVIE), category="tv")
        tagged = client.sync_maindata(rid=added.rid)
        assert tagged.torrents[EPISODE[0]].get("tags") == "a, b, c" and MOVIE[0] in tagged.torrents
        assert list(tagged.tags) == ["c"]
        client.torrents_delete(delete_files=True, torrent_hashes=EPISODE[0])
        removed = client.sync_maindata(rid=tagged.rid)
        assert list(removed.torrents_removed) == [EPISODE[0]]
        assert client.sync_maindata(rid=10_000).full_update  # a rid it does not know: everything again

    await asyncio.to_thread(drive)


async def test_ctrl_qbittorrent_drives_the_shim_as_homarr_does(shim):
    data, file_hash = torrent_file("Ctrl.Film.2003.1080p.mkv", 4_000_000)
    given = {
        "baseUrl": shim.base,
        "username": "admin",
        "password": PASSWORD,
        "magnets": [magnet(EPISODE), magnet(MOVIE)],
        "hashes": [EPISODE[0]],
        "torrent": base64.b64encode(data).decode(),
    }
    node = await asyncio.create_subprocess_exec(
        "node", str(CTRL_CLIENT), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(node.communicate(json.dumps(given).encode()), 120)
    answers = json.loads(out)

    assert answers["wrongLogin"]["error"] == "Cookie not found. Auth Failed."  # `Fails.` sets no cookie
    assert (answers["version"], answers["apiVersion"]) == ("v5.1.4", "2.11.4")
    assert answers["defaultSavePath"] == str(shim.root.resolve()) and answers["preferences"] > 10
    assert answers["addMagnet"] is True
    assert answers["addMagnetAgain"] == {"error": "Failed to add torrent", "status": None}  # qBittorrent's `Fails.`
    assert answers["addTorrent"] is True  # the .torrent in a part named `file`, not Sonarr's `torrents`
    assert answers["normalizedAdd"]["id"] == MOVIE[0] and answers["normalizedAdd"]["state"] == "paused"
    assert answers["page"] == [EPISODE[1]]  # one page of `tv`, by name, reversed
    listed = {torrent_hash: label for torrent_hash, label, _ in answers["allData"]["torrents"]}
    assert listed == {EPISODE[0]: "tv", file_hash: "movies", MOVIE[0]: "tv"}
    assert {label["id"]: label["count"] for label in answers["allData"]["labels"]} == {"tv": 2, "movies": 1}
    main = answers["mainData"]
    assert (main["full"], main["fullUpdate"], main["nextFullUpdate"]) == (3, True, False)
    assert set(main["next"]) <= set(listed)  # the changes since the first answer, never the whole list again
    assert answers["properties"].endswith("/tv")
    assert {f["name"] for f in answers["files"]} <= {f"{EPISODE[1]}/{name}" for name, _ in EPISODE[2]}
    assert answers["trackers"] == ["** [DHT] **", "** [PeX] **", "** [LSD] **"]
    assert answers["webSeeds"] == [] and answers["peers"] == {}
    assert (answers["tagsOfOne"], answers["tagsOfOneAfter"]) == ("b, extra, homarr", "")
    assert answers["tags"] == ["b", "extra", "homarr", "kept"]  # kept with no torrent; `dropped` deleted
    assert answers["categories"] == ["movies", "music", "tv"]
    assert answers["stopped"] == 3  # v5's stop for `all`, then start: none is left stopped but a finished one
    assert set(answers["states"]) <= {"stoppedUP", "queuedDL", "metaDL", "downloading"}
    assert answers["left"] == sorted([MOVIE[0], file_hash])
    assert answers["missing"] == {"error": "Torrent not found", "status": None}
