"""The five services in front of Traefik, on a PostgreSQL and a NATS of the test's own (so a fault test can
kill and restart them), with the fakes as upstreams: what a user meets, reachable only through one port."""

from __future__ import annotations

from collections import Counter
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import msgspec
import pytest

from libs.bus import Bus
from libs.config import Settings
from libs.embedded import EmbeddedNats, EmbeddedPostgres, free_port
from libs.schemas import TorrentStatus
from libs.schemas.stremio import AddonConfig, StoreConfig
from services.indexer_stats.app import build as build_stats
from services.indexer_stats.config import StatsConfig
from services.notifier.app import build as build_notifier
from services.notifier.config import NotifierConfig
from services.pool_allocator.app import build as build_pool
from services.pool_allocator.config import PoolConfig
from services.qbt_shim.app import build as build_shim
from services.qbt_shim.config import ShimConfig
from services.stream_proxy.addon_config import encode_config
from services.stream_proxy.app import build as build_proxy
from services.stream_proxy.config import StreamConfig
from tests.conftest import make_settings
from tests.fakes.catalogue import stock
from tests.fakes.cinemeta import FakeCinemeta
from tests.fakes.jellyfin import FakeJellyfin
from tests.fakes.prowlarr import FakeProwlarr
from tests.fakes.torbox import FakeTorBox
from tests.support.asgi import serving, serving_fake
from tests.support.traefik import behind_traefik

POOL_KEY = "tb_pool_key_e2e_0000000001"  # the household's TorBox account: in the pool, and the shim's token
SLOW_INDEXER_SECONDS = 4.0


async def torrent_states(nats_url: str) -> dict[str, Counter]:
    """Each torrent's states as JetStream holds them (`completed`: how many times it was reported so)."""
    bus = await Bus.connect(nats_url, "e2e-test")
    try:
        state = (await bus.js.stream_info("TORRENT_STATUS")).state
        counts: dict[str, Counter] = {}
        for seq in range(state.first_seq, state.last_seq + 1):
            status = msgspec.json.decode((await bus.js.get_msg("TORRENT_STATUS", seq)).data, type=TorrentStatus)
            counts.setdefault(status.hash, Counter())[status.state] += 1
        return counts
    finally:
        await bus.close()


@dataclass
class WholeStack:
    client: httpx.AsyncClient  # Traefik's one port
    public: str
    settings: Settings
    backends: dict[str, str]  # each service's own address: /health is not routed through Traefik
    prowlarr: FakeProwlarr
    torbox: FakeTorBox
    jellyfin: FakeJellyfin
    postgres: EmbeddedPostgres
    nats: EmbeddedNats
    downloads: Path

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.settings.admin_token}"}

    @property
    def secrets(self) -> list[str]:
        """What must never show in an answer, a redirect or a log line."""
        settings = self.settings
        return [POOL_KEY, settings.secret_key, settings.admin_token, settings.internal_api_key,
                settings.qbt_password, self.prowlarr.api_key, self.jellyfin.api_key]  # fmt: skip

    async def add_pool_user(self, email: str) -> str:
        """The admin adds the household's key to the pool (once) and a user; the user's add-on config."""
        keys = (await self.client.get("/pool/keys", headers=self.admin)).json()
        if not keys:
            added = await self.client.post("/pool/keys", json={"apiKey": POOL_KEY}, headers=self.admin)
            assert added.status_code == 201, added.text
        user = await self.client.post("/pool/users", json={"email": email, "password": "pw-123456"}, headers=self.admin)
        assert user.status_code == 201, user.text
        return encode_config(AddonConfig(stores=[StoreConfig(c="tb", auth=user.json()["uuid"])]))

    async def tell_jellyfin(self, coalesce_seconds: float = 0.5) -> None:
        document = {
            "jellyfin": {"enabled": True, "url": self.jellyfin.base_url, "apiKey": self.jellyfin.api_key},
            "pathMappings": [{"from": str(self.downloads.resolve()), "to": "/media/downloads"}],
            "coalesceSeconds": coalesce_seconds,
        }
        patched = await self.client.patch("/settings/integrations", json=document, headers=self.admin)
        assert patched.status_code == 200, patched.text

    async def qbittorrent_login(self) -> None:
        form = {"username": self.settings.qbt_username, "password": self.settings.qbt_password}
        assert (await self.client.post("/api/v2/auth/login", data=form)).text == "Ok."

    async def health(self) -> dict[str, int]:
        """Each service's /health status code (0: no answer)."""
        codes = {}
        async with httpx.AsyncClient(timeout=5) as direct:
            for name, base in self.backends.items():
                try:
                    codes[name] = (await direct.get(base + "/health")).status_code
                except httpx.HTTPError:
                    codes[name] = 0
        return codes


@pytest.fixture
async def whole_stack(tmp_path, own_postgres, own_nats):
    prowlarr, torbox, cinemeta, jellyfin = (
        FakeProwlarr(),
        FakeTorBox(download_seconds=0.5),
        FakeCinemeta(),
        FakeJellyfin(),
    )
    stock(prowlarr, torbox, slow_seconds=SLOW_INDEXER_SECONDS)
    torbox.add_account(POOL_KEY)
    downloads = tmp_path / "downloads"
    async with AsyncExitStack() as stack:
        for fake in (prowlarr, torbox, cinemeta, jellyfin):
            await stack.enter_async_context(serving_fake(fake))
        settings = make_settings(
            tmp_path,
            DATABASE_URL=own_postgres.dsn,
            NATS_URL=own_nats.url,
            PROWLARR_URL=prowlarr.base_url,
            PROWLARR_API_KEY=prowlarr.api_key,
            TORBOX_API_URL=torbox.base_url,
            CINEMETA_URL=cinemeta.base_url,
            QBT_TORBOX_TOKEN=POOL_KEY,
            QBT_PASSWORD="journey-password",
            DOWNLOAD_ROOT=str(downloads),
        )
        apps = {
            "pool-allocator": build_pool(settings, PoolConfig(bcrypt_rounds=4, activity_flush_seconds=0.2)),
            "indexer-stats": build_stats(settings, StatsConfig(refresh_seconds=0.2, max_timeout_ms=3000)),
            "stream-proxy": build_proxy(settings, StreamConfig(cache_namespace=f"-e2e{free_port()}")),
            "notifier": build_notifier(settings, NotifierConfig(tick_seconds=0.1)),
            "qbt-shim": build_shim(settings, ShimConfig(poll_active_seconds=0.2, poll_idle_seconds=0.3)),
        }
        backends = {name: await stack.enter_async_context(serving(app)) for name, app in apps.items()}
        public = await behind_traefik(stack, tmp_path, backends)
        client = await stack.enter_async_context(httpx.AsyncClient(base_url=public, timeout=30))
        yield WholeStack(
            client, public, settings, backends, prowlarr, torbox, jellyfin, own_postgres, own_nats, downloads
        )
