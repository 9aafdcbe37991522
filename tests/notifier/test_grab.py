"""Grabbing a Prowlarr search result into a real qBittorrent: the link is fetched here (a 301 to a magnet is
read, a .torrent is hashed), so the download is tracked by its info hash from the first moment."""

from urllib.parse import urlsplit

import httpx
import pytest

from services.notifier.app import build
from services.notifier.config import NotifierConfig
from tests.conftest import make_settings
from tests.fakes.catalogue import ENTRIES, MATRIX, info_hash_of, stock
from tests.fakes.prowlarr import FakeProwlarr
from tests.fakes.prowlarr import Release as ProwlarrRelease
from tests.fakes.sabnzbd import FakeSabnzbd
from tests.support.asgi import eventually, serving, serving_fake
from tests.support.nzbget import PASSWORD as NZB_PASSWORD
from tests.support.nzbget import USERNAME as NZB_USERNAME
from tests.support.nzbget import nzbget_server
from tests.support.qbittorrent import PASSWORD, USERNAME, qbittorrent_nox


@pytest.fixture
async def prowlarr():
    fake = FakeProwlarr()
    stock(fake, None)
    async with serving_fake(fake):
        yield fake


async def results(prowlarr: FakeProwlarr, indexer: int) -> list[dict]:
    async with httpx.AsyncClient(base_url=prowlarr.base_url, headers={"X-Api-Key": prowlarr.api_key}) as client:
        params = {"query": f"{{ImdbId:{MATRIX}}}", "type": "movie", "indexerIds": indexer}
        return (await client.get("/api/v1/search", params=params)).json()


async def test_a_grab_is_tracked_by_its_hash_from_the_start(tmp_path, fresh_dsn, nats_url, prowlarr):
    settings = make_settings(
        tmp_path, DATABASE_URL=fresh_dsn, NATS_URL=nats_url, PROWLARR_URL=prowlarr.base_url, PROWLARR_API_KEY="k"
    )
    headers = {"Authorization": f"Bearer {settings.admin_token}"}
    with qbittorrent_nox(tmp_path / "qbt") as url:
        app = build(settings, NotifierConfig(tick_seconds=0.1, poll_seconds=0.3))
        async with serving(app) as base, httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as api:
            client = (
                await api.post(
                    "/downloads/clients",
                    json={"type": "qbittorrent", "name": "qBittorrent", "host": "127.0.0.1", "port": urlsplit(url).port,
                          "username": USERNAME, "password": PASSWORD, "category": "movies"},
                )
            ).json()  # fmt: skip
            magnet_release = (await results(prowlarr, 1))[0]  # Fast: a 301 to a magnet
            file_release = (await results(prowlarr, 4))[0]  # TorrentFiles: only the .torrent
            for release in (magnet_release, file_release):
                body = {"clientId": client["id"], "guid": release["guid"], "indexerId": release["indexerId"],
                        "downloadUrl": release["downloadUrl"], "title": release["title"]}  # fmt: skip
                grabbed = await api.post("/downloads/grab", json=body)
                assert grabbed.status_code == 201, grabbed.text
            downloads = {d["title"]: d for d in (await api.get("/downloads")).json()}
            by_title = {e.title: e for e in ENTRIES}
            for release in (magnet_release, file_release):
                expected = info_hash_of(by_title[release["title"]])
                assert downloads[release["title"]]["clientDownloadId"] == expected

            async def in_qbittorrent():
                async with httpx.AsyncClient(base_url=url) as qbt:
                    await qbt.post("/api/v2/auth/login", data={"username": USERNAME, "password": PASSWORD})
                    listed = (await qbt.get("/api/v2/torrents/info", params={"category": "movies"})).json()
                return {t["hash"] for t in listed} if len(listed) == 2 else None

            hashes = await eventually(in_qbittorrent, timeout=15)
            assert hashes == {d["clientDownloadId"] for d in downloads.values()}

            elsewhere = dict(body, downloadUrl="http://169.254.169.254/latest/meta-data")
            refused = await api.post("/downloads/grab", json=elsewhere)
            assert refused.status_code == 422 and refused.json()["field"] == "downloadUrl"


NZB = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<nzb xmlns="http://www.newzbin.com/DTD/2003/nzb">'
    b'<file poster="a" date="1" subject="Usenet.Film.1999 [1/1] - &quot;x.mkv&quot; yEnc (1/1)">'
    b"<groups><group>alt.binaries.test</group></groups>"
    b'<segments><segment bytes="1000" number="1">part1@example</segment></segments></file></nzb>'
)


async def test_a_usenet_grab_reaches_sabnzbd_and_nzbget_with_their_ids(tmp_path, fresh_dsn, nats_url, prowlarr):
    usenet = prowlarr.add_indexer(9, "Usenet", protocol="usenet")
    usenet.releases.append(
        ProwlarrRelease("Usenet.Film.1999.1080p", "usenet-1", 4_000_000_000, 0, imdb_id=133093, nzb=NZB,
                        with_info_hash=False)
    )  # fmt: skip
    settings = make_settings(
        tmp_path, DATABASE_URL=fresh_dsn, NATS_URL=nats_url, PROWLARR_URL=prowlarr.base_url, PROWLARR_API_KEY="k"
    )
    headers = {"Authorization": f"Bearer {settings.admin_token}"}
    sab = FakeSabnzbd()
    async with serving_fake(sab):
        with nzbget_server(tmp_path / "nzbget") as nzbget_port:
            app = build(settings, NotifierConfig(tick_seconds=0.1, poll_seconds=0.3))
            async with serving(app) as base, httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as api:
                clients = [
                    {"type": "sabnzbd", "name": "SAB", "host": "127.0.0.1", "port": urlsplit(sab.base_url).port,
                     "apiKey": sab.api_key},
                    {"type": "nzbget", "name": "NZBGet", "host": "127.0.0.1", "port": nzbget_port,
                     "username": NZB_USERNAME, "password": NZB_PASSWORD},
                ]  # fmt: skip
                (release,) = await results(prowlarr, 9)
                ids = []
                for client in clients:
                    created = (await api.post("/downloads/clients", json=client)).json()
                    body = {"clientId": created["id"], "guid": release["guid"], "indexerId": 9,
                            "downloadUrl": release["downloadUrl"], "title": release["title"]}  # fmt: skip
                    grabbed = await api.post("/downloads/grab", json=body)
                    assert grabbed.status_code == 201, grabbed.text
                    ids.append(grabbed.json()["clientDownloadId"])
                assert ids[0] == "SABnzbd_nzo_1" and sab.queue[0]["filename"] == "Usenet.Film.1999.1080p"
                assert ids[1].isdigit()

                async def followed():
                    (sab_row,) = [d for d in (await api.get("/downloads")).json() if d["clientDownloadId"] == ids[0]]
                    return sab_row if sab_row["state"] == "downloading" else None

                assert (await eventually(followed, timeout=15))["progress"] == 0.6  # polled by its nzo_id
                async with httpx.AsyncClient(auth=(NZB_USERNAME, NZB_PASSWORD)) as rpc:
                    url = f"http://127.0.0.1:{nzbget_port}/jsonrpc"
                    groups = (await rpc.post(url, json={"method": "listgroups", "params": [0], "id": 1})).json()
                assert [str(g["NZBID"]) for g in groups["result"]] == [ids[1]]  # NZBGet's own id, kept
