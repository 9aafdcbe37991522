"""qbt-shim driven by `qbittorrent-api` (PyPI), the library users' scripts and tools use: every call it makes
against a real qBittorrent works here, with qBittorrent's answers — `sync/maindata` full and then only the
changes by `rid`, trackers, webseeds, peers, tags written `a, b`."""

import asyncio

import pytest
import qbittorrentapi

from .conftest import EPISODE, MOVIE, PASSWORD, magnet


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
