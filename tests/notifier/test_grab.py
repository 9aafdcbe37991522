"""Grabbing a Prowlarr search result into a real qBittorrent: the link is fetched here (a 301 to a magnet is
read, a .torrent is hashed), so the download is tracked by its info hash from the first moment."""

from urllib.parse import urlsplit

import httpx
import pytest

from services.notifier.app import build
from tests.conftest import make_settings
from tests.fakes.catalogue import ENTRIES, MATRIX, info_hash_of, stock
from tests.fakes.prowlarr import FakeProwlarr
from tests.support.asgi import eventually, serving, serving_fake
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
        app = build(settings, tick_seconds=0.1, poll_seconds=0.3)
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
