"""The qbt-shim application, wiring only: at start-up it builds the torrent service, the TorBox worker, the
local downloader, the link fetcher and `sync/maindata`'s memory, starts their loops, and yields them to the
routes as lifespan state (`request.state.shim`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from starlette.applications import Starlette

from libs.config import Settings, service_settings
from libs.outbox import Outbox
from libs.runtime import Runtime
from libs.tasks import background
from libs.web import create_app

from . import repository as repo
from .arr import ArrRequeue, parse_instances
from .auth import Gate
from .cloud import CloudWorker, TorBoxSide
from .config import ShimConfig
from .downloader import Downloader
from .handlers import HANDLERS
from .links import LinkAdder
from .paths import writable
from .routes import ROUTES
from .status import StatusEvents
from .sync import MainData
from .torbox_key import ShimKey
from .torrents import TorrentService

SERVICE = "qbt-shim"
MIGRATIONS = Path(__file__).parent / "migrations"


class QbtShim:
    """The parts the routes use; they exist once the runtime is open."""

    torrents: TorrentService
    links: LinkAdder
    maindata: MainData
    cloud: CloudWorker
    downloader: Downloader
    db: asyncpg.Pool

    def __init__(self, settings: Settings, config: ShimConfig | None = None) -> None:
        self.settings = settings
        self.config = config or service_settings(ShimConfig, settings.env)
        self.root = settings.download_root
        self.arr_instances = parse_instances(settings.env.get("QBT_ARR_INSTANCES"))  # a bad one stops start-up
        self.gate = Gate(
            settings.qbt_username,
            settings.qbt_password,
            ban_after=self.config.ban_after,
            ban_seconds=self.config.ban_seconds,
            session_seconds=self.config.session_seconds,
            signing_secret=settings.secret_key,  # the same in every replica: each takes the others' sessions
        )

    @asynccontextmanager
    async def run(self, runtime: Runtime) -> AsyncIterator[dict[str, QbtShim]]:
        runtime.add_check("download root", lambda: asyncio.to_thread(writable, self.root))
        self.db = runtime.db
        outbox = Outbox(runtime.db, runtime.bus, "qbt_outbox")
        events = StatusEvents(outbox)
        torbox = runtime.torbox()
        key = ShimKey(runtime.bus, outbox.add, self.settings.qbt_torbox_token, self.settings.qbt_pool_user)
        side = TorBoxSide(runtime.db, torbox, key, events, self.config)
        self.cloud = CloudWorker(side, runtime.leases)
        self.downloader = Downloader(side, self.root, runtime.leases.holder, runtime.bus)
        self.torrents = TorrentService(runtime.db, self.root, events, self.downloader.live)
        self.links = LinkAdder(runtime.http, self.torrents)
        self.maindata = MainData(self.torrents, self.root)
        arr = ArrRequeue(runtime.http, self.arr_instances)
        self.torrents.on_added = self.cloud.nudge
        self.torrents.on_started = self._started
        self.torrents.on_deleted = self._deleted
        self.cloud.on_local = self.downloader.work_available
        self.cloud.on_dead = arr.dead
        try:
            async with background(outbox.run(), self.cloud.run(), self.downloader.run()):
                yield {"shim": self}  # the routes' `request.state.shim`
        finally:
            await self.links.close()
            await arr.close()

    def _started(self) -> None:
        self.cloud.nudge()
        self.downloader.nudge()

    async def _deleted(self, rows: list[repo.TorrentRow]) -> None:
        await self.downloader.forget([row.hash for row in rows])
        await self.cloud.forget(rows)


def build(settings: Settings, config: ShimConfig | None = None) -> Starlette:
    shim = QbtShim(settings, config)
    # .torrent uploads: qBittorrent takes files of up to 10 MiB
    app = create_app(
        SERVICE,
        settings,
        routes=ROUTES,
        handlers=HANDLERS,
        migrations=MIGRATIONS,
        setup=shim.run,
        max_body_bytes=11 << 20,
    )
    app.state.shim = shim
    return app
