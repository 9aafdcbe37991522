"""The TorBox side of each torrent: submitted through a per-key queue that stays within TorBox's limits
(60 adds an hour, 10 a minute, the account's active-download limit, 429s), then followed with one listing
call per poll until TorBox has it all, when the local downloader takes over."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg

from libs.db import transaction
from libs.leases import Leases, lease_seconds
from libs.ratelimit import SharedWindowLimiter
from libs.tasks import log_failure, nap
from libs.telemetry import get_logger
from libs.torbox import TORBOX_ADD_LIMITS, TORBOX_ADDS_BUCKET, TorBoxClient, TorBoxError, path_in_torrent

from . import repository as repo
from .config import ShimConfig
from .paths import safe_name, safe_relative, unsavable
from .states import cloud_is_dead
from .status import StatusEvents
from .torbox_key import NoKey, ShimKey

log = get_logger(__name__)


def _later(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


@dataclass(frozen=True)
class TorBoxSide:
    """What the cloud worker and the downloader both work with."""

    db: asyncpg.Pool
    torbox: TorBoxClient
    key: ShimKey
    events: StatusEvents
    config: ShimConfig

    async def fail(self, torrent_hash: str, message: str) -> None:
        """The torrent ends in `error` with `message`, and its event commits with that."""
        async with transaction(self.db) as connection:
            row = await repo.torrent(connection, torrent_hash)
            if row is None:  # deleted meanwhile
                return
            await repo.fail(connection, torrent_hash, message)
            await self.events.changed(
                torrent_hash, row.name, "error", row.category, error=message, connection=connection
            )


# how long a replica owns the torrents it is adding to TorBox (a few, one call each): past it, one that died
# mid-add leaves them to another replica
SUBMIT_LEASE_SECONDS = 120.0


class CloudWorker:
    """Adds queued torrents to TorBox (each claimed by one replica) and follows TorBox's list (one replica
    at a time, under a lease, so the account is listed once per round whatever the number of replicas)."""

    def __init__(self, side: TorBoxSide, leases: Leases) -> None:
        self.side = side
        self.leases = leases
        self.db, self.torbox, self.key, self.events, self.config = (
            side.db, side.torbox, side.key, side.events, side.config,
        )  # fmt: skip
        # the key's budget, shared with every process using it (stream-proxy too, for a pool key)
        self.adds = SharedWindowLimiter(side.key.bus, TORBOX_ADDS_BUCKET, *TORBOX_ADD_LIMITS)
        self.on_local: Callable[[], Awaitable[None]] = _nothing  # files to download: tell the downloaders
        self.on_dead: Callable[[str, str], None] = lambda torrent_hash, category: None  # the *arr re-search
        self._wake = asyncio.Event()

    def nudge(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            self._wake.clear()
            active = False
            try:
                await self.submit()
                if await self.leases.hold("TorBox poll", lease_seconds(self.config.poll_idle_seconds)):
                    active = await self.poll()
            except asyncio.CancelledError:
                raise
            except NoKey as missing:
                log.warning("no TorBox key", reason=str(missing))
            except Exception as error:  # the database or TorBox away: the next round tries again
                log_failure(log, "cloud round failed", error, expected=TorBoxError)
            await nap(self.config.poll_active_seconds if active else self.config.poll_idle_seconds, self._wake)

    async def submit(self) -> None:
        due = await repo.claim_for_submission(self.db, self.leases.holder, SUBMIT_LEASE_SECONDS)
        if not due:
            return
        key = await self.key.get()
        for row in due:
            wait = await self.adds.acquire(key)
            if wait is not None:
                await repo.retry_later(self.db, row.hash, _later(wait), "waiting for TorBox's add limit")
                continue
            torrent_file = bytes(row.torrent_file) if row.torrent_file else None
            try:
                added = await self.torbox.add_torrent(key, row.hash, row.magnet, torrent_file=torrent_file)
            except TorBoxError as error:
                await self._refused(row, error)
                continue
            torbox_id, queued_id = added.torrent_id, added.queued_id
            if not await repo.mark_submitted(self.db, row.hash, torbox_id, queued_id):
                # deleted here while TorBox was adding it: the delete found no TorBox id to remove, so it is
                # removed now, or it would stay in the account for ever
                await self._remove_at_torbox(key, row.hash, torbox_id, queued_id)
                continue
            log.info("added to TorBox", hash=row.hash, queued=torbox_id is None)

    async def _refused(self, row: repo.Submission, error: TorBoxError) -> None:
        if error.code == "ACTIVE_LIMIT":
            retry = _later(self.config.limit_retry_seconds)
            await repo.retry_later(self.db, row.hash, retry, "TorBox: too many active downloads; waiting")
        elif error.kind == "rate_limited":
            await repo.retry_later(self.db, row.hash, _later(error.retry_after or 60), "TorBox: rate limited")
        elif error.kind == "client_error":
            await self.side.fail(row.hash, f"TorBox refused it: {error.detail or error.code}")
        else:
            await self.key.failed(error)
            retry = _later(self.config.outage_retry_seconds)
            await repo.retry_later(self.db, row.hash, retry, f"TorBox: {error.code}")

    async def poll(self) -> bool:
        """One listing of the account for everything in the cloud; True while anything still is."""
        rows = await repo.in_the_cloud(self.db)
        if not rows:
            return False
        key = await self.key.get()
        try:
            listing = {t.hash.lower(): t for t in await self.torbox.torrents(key)}
        except TorBoxError as error:
            await self.key.failed(error)
            raise
        moved = False
        for row in rows:
            item = listing.get(row.hash)
            if item is None:
                continue  # still queued at TorBox, or not listed yet (its listing lags a little)
            if cloud_is_dead(item.download_state):
                await self.side.fail(row.hash, f"TorBox: the download {item.download_state.strip()}")
                self.on_dead(row.hash, row.category)
            elif item.ready:
                refused = next(filter(None, (unsavable(path_in_torrent(f.name)) for f in item.files)), None)
                if refused is not None:
                    await self.side.fail(row.hash, f"TorBox lists a file that cannot be saved: {refused}")
                    continue
                files = [
                    (i, str(safe_relative(path_in_torrent(f.name))), f.size, f.id) for i, f in enumerate(item.files)
                ]
                size = sum(f.size for f in item.files)
                name = _better_name(row, item.name)
                moved = await repo.start_local(self.db, row.hash, item.id, files, size, name) or moved
            else:
                async with transaction(self.db) as connection:
                    await self._update_cloud(connection, row, item)
        if moved:
            await self.on_local()
        return True

    async def _update_cloud(self, connection: asyncpg.Connection, row: repo.TorrentRow, item) -> None:
        await repo.update_cloud(
            connection,
            row.hash,
            torbox_id=item.id,
            state=item.download_state,
            progress=item.progress,
            speed=item.download_speed,
            eta=item.eta,
            size=item.size,
            name=_better_name(row, item.name),
        )
        if row.phase == "submitted":
            await self.events.changed(row.hash, row.name, "cloud", row.category, connection=connection)

    async def forget(self, rows: list[repo.TorrentRow]) -> None:
        """Deleted here: deleted at TorBox too (the torrent, or the queued item), so nothing stays queued."""
        try:
            key = await self.key.get()
        except NoKey:
            return
        for row in rows:
            await self._remove_at_torbox(key, row.hash, row.torbox_id, row.torbox_queued_id)

    async def _remove_at_torbox(
        self, key: str, torrent_hash: str, torbox_id: int | None, queued_id: int | None
    ) -> None:
        try:
            if torbox_id is not None:
                await self.torbox.delete_torrent(key, torbox_id)
            elif queued_id is not None:
                await self.torbox.delete_queued(key, queued_id)
        except TorBoxError as error:
            log.warning("not deleted at TorBox", hash=torrent_hash, code=error.code)


async def _nothing() -> None:
    pass


def _better_name(row: repo.TorrentRow, torbox_name: str) -> str | None:
    """A magnet without `dn` is known by its hash until TorBox has read the torrent's own name."""
    if row.name == row.hash and torbox_name:
        return safe_name(torbox_name)
    return None
