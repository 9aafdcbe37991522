"""The journey with two replicas of every service (`make run` with CHILLPROXY_REPLICAS=2) on a 3-node NATS
cluster (streams and buckets kept on all three), with the fakes as upstreams; mid-journey one NATS node is
killed and one replica of each service is SIGKILLed. Then: every torrent added to TorBox once and each of its
files fetched once (a cut download resumed, not restarted), TorBox never answering 429 (the add budget held
once for every process), every torrent completed exactly once and Jellyfin told of it, every pool play
counted, and every replica's /health green again."""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter

import asyncpg
import httpx
import psutil
import pytest

from libs.embedded import NatsCluster, free_port
from libs.schemas.stremio import AddonConfig, StoreConfig
from services.stream_proxy.addon_config import encode_config
from tests.e2e.conftest import POOL_KEY, torrent_states
from tests.fakes.catalogue import THRONES, stock
from tests.fakes.cinemeta import FakeCinemeta
from tests.fakes.jellyfin import FakeJellyfin
from tests.fakes.prowlarr import FakeProwlarr
from tests.fakes.torbox import FakeTorBox
from tests.support.asgi import eventually, serving_fake
from tests.support.launcher import Launcher

MODULES = {
    "stream-proxy": "services.stream_proxy",
    "pool-allocator": "services.pool_allocator",
    "indexer-stats": "services.indexer_stats",
    "notifier": "services.notifier",
    "qbt-shim": "services.qbt_shim",
}


@pytest.fixture
def cluster(tmp_path):
    nodes = NatsCluster(tmp_path / "nats").start()
    yield nodes
    nodes.stop()


class Journey:
    def __init__(self, client: httpx.AsyncClient, torbox: FakeTorBox) -> None:
        self.client = client
        self.torbox = torbox
        self.plays: list[str] = []  # the hash of each pool play that reached the CDN
        self.magnets: list[tuple[str, str]] = []  # (hash, name)

    async def ask(self, method: str, path: str, **kwargs) -> httpx.Response:
        """A request through Traefik. One in flight to a replica just killed fails (502) until Traefik's
        health check takes that replica out (within 5 s): like a player or Sonarr, try again."""
        for _ in range(20):
            response = await self.client.request(method, path, **kwargs)
            if response.status_code not in (502, 503, 504):
                return response
            await asyncio.sleep(0.5)
        return response

    async def play(self, config: str, episode: int) -> None:
        path = f"/stremio/torz/{config}/stream/series/{THRONES}:1:{episode}.json"
        for _ in range(30):  # just after the kills a NATS client is still moving to another node: ask again
            listed = await self.ask("GET", path)
            assert listed.status_code == 200, listed.text
            playable = [s for s in listed.json()["streams"] if s.get("url")]
            if playable:
                break
            await asyncio.sleep(1.0)
        assert playable, listed.text
        stream = playable[0]
        played = await self.ask("GET", stream["url"][stream["url"].index("/stremio/") :])
        assert played.status_code == 302, played.text
        self.plays.append(stream["url"].split("/play/")[1].split("/")[0])

    async def magnet(self) -> None:
        number = len(self.magnets) + 1
        info_hash, name = f"{0xE0 + number:040x}", f"Replica.Show.S02E{number:02d}.1080p.WEB"
        self.torbox.add_torrent(info_hash, name, [(name + ".mkv", 2_000_000)], cached=False)
        form = {"urls": f"magnet:?xt=urn:btih:{info_hash}&dn={name}", "category": "tv-sonarr"}
        assert (await self.ask("POST", "/api/v2/torrents/add", data=form)).text == "Ok."
        self.magnets.append((info_hash, name))

    async def all_completed(self) -> bool:
        response = await self.ask("GET", "/api/v2/torrents/info")
        states = {t["hash"]: t["state"] for t in response.json()}
        return all(states.get(h) == "stoppedUP" for h, _ in self.magnets)


def sigkill_one_replica_of_each(launcher: Launcher, ports: dict[str, int], downloader_pid: int) -> list[str]:
    """SIGKILL one replica of every service: qbt-shim's that is downloading, replica #1 of the others."""
    killed = []
    for child in psutil.Process(launcher.process.pid).children(recursive=False):
        try:
            command, environment = child.cmdline(), child.environ()
        except psutil.NoSuchProcess:
            continue
        for name, module in MODULES.items():
            if command[-1:] != [module]:
                continue
            chosen = (
                child.pid == downloader_pid
                if name == "qbt-shim"
                else (environment.get("SERVICE_PORT") == str(ports[f"{name}#1"]))
            )
            if chosen:
                child.send_signal(signal.SIGKILL)
                killed.append(name)
    return killed


async def downloading_replica(dsn: str) -> tuple[int, int]:
    """(pid, files held) of a qbt-shim replica holding file leases (its holder is `qbt-shim@host:pid:…`)."""
    db = await asyncpg.connect(dsn)
    try:
        holders = Counter(
            r["lease_holder"] for r in await db.fetch("SELECT lease_holder FROM qbt_files WHERE NOT done")
        )
    finally:
        await db.close()
    holder, files = next((h, n) for h, n in holders.most_common() if h)
    return int(holder.split(":")[1]), files


async def every_replica_healthy(ports: dict[str, int]) -> bool:
    async with httpx.AsyncClient(timeout=3) as direct:
        for port in ports.values():
            try:
                if (await direct.get(f"http://127.0.0.1:{port}/health")).status_code != 200:
                    return False
            except httpx.HTTPError:
                return False
    return True


async def test_two_replicas_of_everything_on_a_nats_cluster_outlive_kills(tmp_path, own_postgres, cluster):
    prowlarr, torbox, cinemeta, jellyfin = (
        FakeProwlarr(),
        FakeTorBox(download_seconds=0.5),
        FakeCinemeta(),
        FakeJellyfin(),
    )
    stock(prowlarr, torbox, slow_seconds=1.0)
    torbox.add_account(POOL_KEY)
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    downloads = tmp_path / "downloads"
    async with serving_fake(prowlarr), serving_fake(torbox), serving_fake(cinemeta), serving_fake(jellyfin):
        launcher = Launcher(
            tmp_path / "var",
            port,
            DATABASE_URL=own_postgres.dsn,
            NATS_URL=cluster.url,
            NATS_REPLICAS="3",
            CHILLPROXY_REPLICAS="2",
            CHILLPROXY_PUBLIC_URL=public,
            PROWLARR_URL=prowlarr.base_url,
            PROWLARR_API_KEY=prowlarr.api_key,
            TORBOX_API_URL=torbox.base_url,
            CINEMETA_URL=cinemeta.base_url,
            QBT_TORBOX_TOKEN=POOL_KEY,
            DOWNLOAD_ROOT=str(downloads),
            QBT_POLL_ACTIVE_SECONDS="0.5",
            QBT_POLL_IDLE_SECONDS="1",
            POOL_BCRYPT_ROUNDS="4",
            STREAM_INDEXER_TIMEOUT_MS="3000",
        )
        try:
            await asyncio.to_thread(launcher.wait_for, "Press Ctrl-C to stop.", 300)
            secrets = json.loads((tmp_path / "var" / "secrets.json").read_text())
            ports = json.loads((tmp_path / "var" / "stack.json").read_text())["replicas"]
            assert len(ports) == 10
            admin = {"Authorization": f"Bearer {secrets['ADMIN_TOKEN']}"}
            async with httpx.AsyncClient(base_url=public, timeout=30) as client:
                journey = Journey(client, torbox)
                assert (await client.post("/pool/keys", json={"apiKey": POOL_KEY}, headers=admin)).status_code == 201
                user = await client.post(
                    "/pool/users", json={"email": "viewer@example.com", "password": "pw-123456"}, headers=admin
                )
                config = _pool_config(user.json()["uuid"])
                document = {
                    "jellyfin": {"enabled": True, "url": jellyfin.base_url, "apiKey": jellyfin.api_key},
                    "coalesceSeconds": 0.3,
                }
                assert (await client.patch("/settings/integrations", json=document, headers=admin)).status_code == 200
                login = {"username": "admin", "password": secrets["QBT_PASSWORD"]}
                assert (await client.post("/api/v2/auth/login", data=login)).text == "Ok."

                await journey.play(config, 1)
                torbox.cdn_rate = 400_000  # 5 s a file: the kills below cut downloads in flight
                await journey.magnet()
                await journey.magnet()
                await eventually(lambda: _partly_there(downloads, journey.magnets), timeout=30)  # downloading now

                cluster.nodes[0].kill()
                downloader, cut = await downloading_replica(own_postgres.dsn)
                assert sorted(sigkill_one_replica_of_each(launcher, ports, downloader)) == sorted(MODULES)
                await journey.play(config, 2)
                await journey.magnet()
                torbox.cdn_rate = 0
                await eventually(journey.all_completed, timeout=180, interval=1.0)

                await asyncio.to_thread(cluster.restart, cluster.nodes[0])
                await eventually(lambda: every_replica_healthy(ports), timeout=120, interval=1.0)
                await eventually(lambda: _usage_counted(own_postgres.dsn, len(journey.plays)), timeout=60)
        finally:
            launcher.stop(signal.SIGINT)

    created = Counter(torbox.created)
    for info_hash, _ in journey.magnets:
        assert created[info_hash] == 1, (info_hash, created)  # added once, whatever replica was killed
    assert torbox.rate_limited == 0  # the add budget was never exceeded
    from_start = Counter((h, n) for h, n, r in torbox.cdn_fetches if r in (None, "bytes=0-"))
    for info_hash, name in journey.magnets:
        fetches = [r for h, _, r in torbox.cdn_fetches if h == info_hash]
        assert from_start[(info_hash, f"{name}/{name}.mkv")] == 1, fetches  # fetched once; a cut one resumed
        assert (downloads / "tv-sonarr" / name / f"{name}.mkv").stat().st_size == 2_000_000
    resumed = [r for h, _, r in torbox.cdn_fetches if r and r != "bytes=0-"]
    assert len(resumed) >= cut and all(int(r[6:].split("-")[0]) >= 500_000 for r in resumed)  # those cut
    assert not list(downloads.rglob("*.part"))
    states = await torrent_states(cluster.url)
    assert all(states[h]["completed"] == 1 for h, _ in journey.magnets), states  # each completed exactly once
    told = {path for _, _, paths in jellyfin.calls for path in paths}
    assert all(any(name in path for path in told) for _, name in journey.magnets)
    assert await _usage_counted(own_postgres.dsn, 2) and len(journey.plays) == 2  # each play counted once


def _partly_there(downloads, magnets: list[tuple[str, str]]) -> bool:
    """Every magnet's file is being written: a quarter of it or more is in its `.part`."""
    parts = [downloads / "tv-sonarr" / name / f"{name}.mkv.part" for _, name in magnets]
    return all(part.exists() and part.stat().st_size >= 500_000 for part in parts)


async def _usage_counted(dsn: str, plays: int) -> bool:
    db = await asyncpg.connect(dsn)
    try:
        return await db.fetchval("SELECT count(*) FROM torbox_usage_logs WHERE action = 'play'") == plays
    finally:
        await db.close()


def _pool_config(user_id: str) -> str:
    return encode_config(AddonConfig(stores=[StoreConfig(c="tb", auth=user_id)]))
