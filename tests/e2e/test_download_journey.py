"""Sonarr's side of the journey through Traefik only: a magnet added through the qBittorrent API is
downloaded from TorBox into the download root, and Jellyfin is told the file's path as it sees it."""

from contextlib import AsyncExitStack
from pathlib import Path

import httpx

from services.notifier.app import build as build_notifier
from services.qbt_shim.app import build as build_shim
from services.qbt_shim.config import ShimConfig
from tests.conftest import make_settings
from tests.fakes.jellyfin import FakeJellyfin
from tests.fakes.torbox import FakeTorBox, file_bytes
from tests.support.asgi import eventually, serving, serving_fake
from tests.support.traefik import behind_traefik

TOKEN = "tb_journey_token_00000001"
EPISODE = ("9" * 40, "Journey.Show.S02E05.1080p.WEB", [("Journey.Show.S02E05.1080p.WEB.mkv", 1_200_000)])


async def test_a_grab_lands_on_disk_and_jellyfin_hears_of_it(tmp_path, fresh_dsn, nats_url):
    torbox, jellyfin = FakeTorBox(download_seconds=0.5), FakeJellyfin()
    torbox.add_account(TOKEN)
    torbox.add_torrent(*EPISODE, cached=False)
    downloads = tmp_path / "downloads"
    async with AsyncExitStack() as stack:
        for fake in (torbox, jellyfin):
            await stack.enter_async_context(serving_fake(fake))
        settings = make_settings(
            tmp_path,
            DATABASE_URL=fresh_dsn,
            NATS_URL=nats_url,
            TORBOX_API_URL=torbox.base_url,
            QBT_TORBOX_TOKEN=TOKEN,
            QBT_PASSWORD="journey-password",
            DOWNLOAD_ROOT=str(downloads),
        )
        shim_config = ShimConfig(poll_active_seconds=0.2, poll_idle_seconds=0.3)
        backends = {
            "qbt-shim": await stack.enter_async_context(serving(build_shim(settings, shim_config))),
            "notifier": await stack.enter_async_context(serving(build_notifier(settings, tick_seconds=0.1))),
        }
        public = await behind_traefik(stack, tmp_path, backends)
        client = await stack.enter_async_context(httpx.AsyncClient(base_url=public, timeout=30))

        admin = {"Authorization": f"Bearer {settings.admin_token}"}
        document = {
            "jellyfin": {"enabled": True, "url": jellyfin.base_url, "apiKey": jellyfin.api_key},
            "pathMappings": [{"from": str(downloads.resolve()), "to": "/media/downloads"}],
            "coalesceSeconds": 0.5,
        }
        assert (await client.patch("/settings/integrations", json=document, headers=admin)).status_code == 200

        # Sonarr: login, test, add
        login = await client.post("/api/v2/auth/login", data={"username": "admin", "password": "journey-password"})
        assert login.text == "Ok."
        assert (await client.get("/api/v2/app/webapiVersion")).text == "2.11.4"
        magnet = f"magnet:?xt=urn:btih:{EPISODE[0]}&dn={EPISODE[1]}"
        added = await client.post("/api/v2/torrents/add", data={"urls": magnet, "category": "tv-sonarr"})
        assert added.text == "Ok."

        async def finished():
            (torrent,) = (await client.get("/api/v2/torrents/info", params={"category": "tv-sonarr"})).json()
            return torrent if torrent["state"] == "stoppedUP" else None

        torrent = await eventually(finished, timeout=20)
        content = Path(torrent["content_path"])
        data = (content / EPISODE[2][0][0]).read_bytes()
        assert data == file_bytes(EPISODE[0], f"{EPISODE[1]}/{EPISODE[2][0][0]}", 0, EPISODE[2][0][1] - 1)

        await eventually(lambda: jellyfin.calls, timeout=10)
        ((_, path, paths),) = jellyfin.calls
        expected = f"/media/downloads/tv-sonarr/{EPISODE[1]}/{EPISODE[2][0][0]}"
        assert (path, paths) == ("/Library/Media/Updated", [expected])

        # after import Sonarr deletes the torrent with its files
        deleted = await client.post("/api/v2/torrents/delete", data={"hashes": EPISODE[0], "deleteFiles": "true"})
        assert deleted.status_code == 200 and not content.exists()
