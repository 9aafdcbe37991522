"""The qbt-shim application: the qBittorrent API, the TorBox worker and the local downloader."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from starlette.applications import Starlette

from libs.cache import BoundedCache
from libs.config import Settings, service_settings
from libs.outbox import Outbox
from libs.runtime import Runtime
from libs.tasks import background, log_failure
from libs.telemetry import get_logger
from libs.torbox import TorBoxClient
from libs.torrent_meta import btih_from_magnet, fetch_torrent
from libs.web import create_app

from . import repository as repo
from . import sync, views
from .arr import ArrRequeue, parse_instances
from .auth import Gate
from .cloud import CloudWorker, TorBoxSide
from .config import ShimConfig
from .downloader import Downloader
from .paths import writable
from .routes import routes
from .status import StatusEvents
from .torbox_key import ShimKey
from .torrents import AddOptions, BadTorrent, Conflict, NewTorrent, TorrentService, from_magnet, from_torrent_file

SERVICE = "qbt-shim"
MAX_LINKS_FETCHING = 200
log = get_logger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


class QbtShim:
    def __init__(self, settings: Settings, config: ShimConfig | None = None) -> None:
        self.settings = settings
        self.config = config or service_settings(ShimConfig, settings.env)
        self.root = settings.download_root
        self.arr_instances = parse_instances(settings.env.get("QBT_ARR_INSTANCES"))
        self._fetching: set[asyncio.Task[None]] = set()  # links of `torrents/add` being fetched
        self._rid = 0  # sync/maindata's response id, and what each recent one answered (for the changes since)
        self._snapshots: BoundedCache[int, sync.Snapshot] = BoundedCache(64, 600)
        self.gate = Gate(
            settings.qbt_username,
            settings.qbt_password,
            ban_after=self.config.ban_after,
            ban_seconds=self.config.ban_seconds,
            session_seconds=self.config.session_seconds,
        )

    @asynccontextmanager
    async def run(self, runtime: Runtime) -> AsyncIterator[None]:
        runtime.add_check("download root", lambda: asyncio.to_thread(writable, self.root))
        self.db: asyncpg.Pool = runtime.db
        self.http = runtime.http
        outbox = Outbox(runtime.db, runtime.bus, "qbt_outbox")
        events = StatusEvents(outbox)
        torbox = TorBoxClient(runtime.http, self.settings.torbox_api_url)
        key = ShimKey(runtime.bus, outbox.add, self.settings.qbt_torbox_token, self.settings.qbt_pool_user)
        side = TorBoxSide(runtime.db, torbox, key, events, self.config)
        self.cloud = CloudWorker(side)
        self.downloader = Downloader(side, self.root)
        self.torrents = TorrentService(runtime.db, self.root, events, self.downloader.live)
        self.torrents.on_added = self.cloud.nudge
        self.torrents.on_deleted = self._deleted
        self.cloud.on_local = self.downloader.nudge
        self.arr = ArrRequeue(runtime.http, self.arr_instances)
        self.cloud.on_dead = self.arr.dead
        try:
            async with background(outbox.run(), self.cloud.run(), self.downloader.run()):
                yield
        finally:
            for task in list(self._fetching):
                task.cancel()
            await asyncio.gather(*self._fetching, return_exceptions=True)
            await self.arr.close()

    async def _deleted(self, rows: list[asyncpg.Record]) -> None:
        await self.downloader.forget([row["hash"] for row in rows])
        await self.cloud.forget(rows)

    # what the routes ask that is not the torrent service's

    async def torrent(self, torrent_hash: str) -> asyncpg.Record | None:
        return await repo.torrent(self.db, torrent_hash)

    def properties(self, row: asyncpg.Record) -> dict[str, Any]:
        return views.properties(row, self.downloader.live(row["hash"]), datetime.now(UTC))

    async def files(self, row: asyncpg.Record) -> list[dict[str, Any]]:
        return views.files(row, await repo.files(self.db, row["hash"]))

    def add_links_later(self, urls: list[str], options: AddOptions) -> bool:
        """Fetch each link's torrent in the background and add it then; False when too many already wait."""
        if len(self._fetching) + len(urls) > MAX_LINKS_FETCHING:
            log.warning("torrent links refused: too many are being fetched", waiting=len(self._fetching))
            return False
        for url in urls:
            task = asyncio.create_task(self._add_link(url, options))
            self._fetching.add(task)
            task.add_done_callback(self._fetching.discard)
        return True

    async def _add_link(self, url: str, options: AddOptions) -> None:
        host = urlsplit(url).hostname  # the link itself may hold an indexer's key: never logged
        try:
            item = await self.from_link(url)
            if item is None:
                log.warning("a link added by URL led to no torrent", host=host)
                return
            await self.torrents.add([item], options)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a refusal (a path, a category changed meanwhile) or the database away
            log_failure(
                log, "a torrent added by URL could not be added", error, host=host, expected=(ValueError, Conflict)
            )

    async def from_link(self, url: str) -> NewTorrent | None:
        """An http(s) link in `urls`: what it leads to (a magnet, or a .torrent), read once."""
        if not url.startswith(("http://", "https://")):
            return None
        found = await fetch_torrent(self.http, url, timeout=15.0)
        if isinstance(found, str):
            return from_magnet(found) if btih_from_magnet(found) else None
        if found is None:
            return None
        try:
            return from_torrent_file(found, url.rsplit("/", 1)[-1] or "download.torrent")
        except BadTorrent:
            return None

    async def set_stopped(self, hashes: list[str] | None, stopped: bool) -> None:
        await repo.set_stopped(self.db, hashes, stopped)
        if not stopped:
            self.cloud.nudge()
            self.downloader.nudge()

    async def maindata(self, rid: int) -> dict[str, Any]:
        """`sync/maindata` from `rid`: the full state, or what changed since (qBittorrent's protocol)."""
        listed = await self.torrents.info()
        server_state = transfer_figures(listed) | {
            "free_space_on_disk": shutil.disk_usage(self.root).free if self.root.exists() else 0,
            "queueing": True,
            "use_alt_speed_limits": False,
            "refresh_interval": 1500,
        }
        now = sync.snapshot(listed, await self.torrents.categories(), await self.torrents.tags(), server_state)
        self._rid += 1
        before = self._snapshots.get(rid) if rid else None
        self._snapshots.set(self._rid, now)
        return sync.full(self._rid, now) if before is None else sync.changes(self._rid, before, now)

    async def transfer_info(self) -> dict[str, Any]:
        return transfer_figures(await self.torrents.info())

    def preferences(self) -> dict[str, Any]:
        """What Sonarr and Radarr read, as they need it: no removal by ratio (they remove finished torrents
        themselves), queueing on, DHT on (magnets without trackers are then fine), the root as save path."""
        root = str(self.root.resolve())
        return {
            "save_path": root,
            "temp_path_enabled": False,
            "temp_path": "",
            "create_subfolder_enabled": True,
            "start_paused_enabled": False,
            "auto_tmm_enabled": False,
            "max_ratio_enabled": False,
            "max_ratio": -1,
            "max_ratio_act": 0,
            "max_seeding_time_enabled": False,
            "max_seeding_time": -1,
            "max_inactive_seeding_time_enabled": False,
            "max_inactive_seeding_time": -1,
            "queueing_enabled": True,
            "max_active_downloads": self.config.downloads_at_once,
            "max_active_torrents": 100,
            "max_active_uploads": 0,
            "dht": True,
            "pex": False,
            "lsd": False,
            "web_ui_port": 8080,
            "web_ui_username": self.settings.qbt_username,
            "locale": "en",
            "dl_limit": 0,
            "up_limit": 0,
        }


def transfer_figures(listed: list[dict[str, Any]]) -> dict[str, Any]:
    """`transfer/info` (and `server_state`'s first fields) from the torrents as `torrents/info` lists them."""
    return {
        "connection_status": "connected",
        "dht_nodes": 0,
        "dl_info_data": sum(t["downloaded"] for t in listed),
        "dl_info_speed": sum(t["dlspeed"] for t in listed),
        "dl_rate_limit": 0,
        "up_info_data": 0,
        "up_info_speed": 0,
        "up_rate_limit": 0,
    }


def build(settings: Settings, config: ShimConfig | None = None) -> Starlette:
    shim = QbtShim(settings, config)
    # .torrent uploads: qBittorrent takes files of up to 10 MiB
    app = create_app(
        SERVICE, settings, routes=routes(shim), migrations=MIGRATIONS, setup=shim.run, max_body_bytes=11 << 20
    )
    app.state.shim = shim
    return app
