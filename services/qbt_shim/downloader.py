"""The local half: each file of a torrent TorBox has finished is fetched from its CDN link into
`<save path>/<torrent name>/<path>`, through a `.part` file that a restart or a cut connection resumes with
a Range request. A bounded number of files at once; a file is renamed into place only when its size is the
one TorBox listed (an error page is never saved as media); the torrent completes with its last file.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import asyncpg

from libs.bus import Bus
from libs.cache import BoundedCache
from libs.db import transaction
from libs.schemas import QBT_WORK, WorkAvailable
from libs.tasks import log_failure, nap
from libs.telemetry import get_logger
from libs.torbox import LINK_SECONDS, TorBoxError

from . import repository as repo
from .cloud import TorBoxSide
from .paths import PathRefused, confine
from .torbox_key import NoKey
from .transfer import TransferError, fetch_into
from .views import Live

log = get_logger(__name__)
MAX_REMEMBERED = 10_000
IDLE_SECONDS = 60.0
# a file's lease, renewed every round (about a second) while this replica holds it; its transfers stop on
# their own once it could not be renewed for LEASE_SECONDS - LEASE_MARGIN, before another replica may take it
LEASE_SECONDS = 30.0
LEASE_MARGIN = 10.0
Slot = tuple[str, int]  # (torrent hash, file index)


@dataclass
class Progress:
    """One torrent's bytes on disk and how fast they came lately."""

    files: dict[int, int] = field(default_factory=dict)  # file index → bytes on disk
    samples: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=20))
    stalled: bool = False

    @property
    def total(self) -> int:
        return sum(self.files.values())

    def sample(self) -> None:
        self.samples.append((time.monotonic(), self.total))

    @property
    def speed(self) -> int:
        now = time.monotonic()
        recent = [(t, b) for t, b in self.samples if t >= now - 5]
        if len(recent) < 2 or recent[-1][0] == recent[0][0]:
            return 0
        return max(0, int((recent[-1][1] - recent[0][1]) / (recent[-1][0] - recent[0][0])))


class Downloader:
    """Downloads the files this replica holds the lease of: claimed a few at a time (never more than it
    fetches at once), renewed with the bytes on disk each round, let go when taken away."""

    def __init__(self, side: TorBoxSide, root: Path, holder: str, bus: Bus) -> None:
        self.side = side
        self.holder = holder
        self.bus = bus
        self.db, self.torbox, self.key, self.events, self.config = (
            side.db, side.torbox, side.key, side.events, side.config,
        )  # fmt: skip
        self.root = root
        self._progress: dict[str, Progress] = {}
        self._held: dict[Slot, repo.FileWork] = {}  # leased to this replica: running, or waiting to retry
        self._renewed_at = time.monotonic()  # the last time every held lease was renewed
        self._running: dict[Slot, asyncio.Task[None]] = {}
        self._retry_at: BoundedCache[Slot, float] = BoundedCache(MAX_REMEMBERED, 3600)
        # (TorBox torrent id, file id) → its CDN link, while TorBox keeps it open
        self._links: BoundedCache[tuple[int, int], str] = BoundedCache(MAX_REMEMBERED, LINK_SECONDS)
        self._stops: dict[Slot, threading.Event] = {}  # per file: tells its worker thread to stop
        self._threads: dict[Slot, asyncio.Future[None]] = {}  # per file: its worker thread, while it writes
        self._slots = asyncio.Semaphore(self.config.downloads_at_once)
        self._wake = asyncio.Event()

    def live(self, torrent_hash: str) -> Live | None:
        progress = self._progress.get(torrent_hash)
        if progress is None:
            return None
        return Live(downloaded=progress.total, speed=progress.speed, stalled=progress.stalled)

    def nudge(self) -> None:
        self._wake.set()

    async def work_available(self, files: int = 0) -> None:
        """Files wait for a downloader: this replica's looks now, and every other replica's too (one with
        room claims them), instead of at its next idle round."""
        self.nudge()
        try:
            await self.bus.broadcast(QBT_WORK, WorkAvailable(files=files))
        except Exception as error:  # NATS away: the others find the files at their next round all the same
            log.warning("downloaders not told", error=type(error).__name__)

    async def forget(self, hashes: list[str]) -> None:
        """Deleted torrents: their transfers stop now and nothing of them is saved again."""
        await self._let_go([slot for slot in self._held if slot[0] in hashes])
        for torrent_hash in hashes:
            self._progress.pop(torrent_hash, None)
        for slot in [slot for slot in self._retry_at.keys() if slot[0] in hashes]:
            self._retry_at.pop(slot)

    async def _let_go(self, slots: list[Slot]) -> None:
        """Stop fetching `slots` (deleted, paused, or no longer this replica's) and wait for their tasks."""
        for slot in slots:
            self._held.pop(slot, None)
            self._stops.pop(slot, threading.Event()).set()  # a thread cannot be cancelled: told
        tasks = [self._running[slot] for slot in slots if slot in self._running]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._threads_stopped(slots)

    async def _threads_stopped(self, slots: list[Slot]) -> None:
        """Wait until the worker threads of `slots` have stopped writing (a cancelled task's thread writes on
        until it sees its stop): only then may another replica resume the same `.part` file."""
        threads = [self._threads.pop(slot) for slot in slots if slot in self._threads]
        await asyncio.gather(*threads, return_exceptions=True)

    async def run(self) -> None:
        try:
            while True:
                self._wake.clear()
                try:
                    await self._renew()
                    await self._start_work()
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # the database away: the next round tries again
                    log_failure(log, "download round failed", error)
                    await self._stop_if_unrenewed()
                for progress in self._progress.values():
                    progress.sample()
                await nap(1.0 if self._running else await self._idle_seconds(), self._wake)
        finally:
            for stop in self._stops.values():
                stop.set()
            for task in self._running.values():
                task.cancel()
            await asyncio.gather(*self._running.values(), return_exceptions=True)
            await self._threads_stopped(list(self._threads))
            try:
                await repo.release_files(self.db, self.holder)  # another replica need not wait them out
                if self._held:
                    await self.work_available(len(self._held))
            except Exception as error:  # the database is away: the leases run out on their own
                log.warning("file leases not released", error=type(error).__name__)

    async def _idle_seconds(self) -> float:
        """Nothing downloading: asleep until a torrent is handed over (a nudge, here or from another replica),
        a retry comes due, or the lease of a file another replica held runs out (it died: take it over)."""
        now = time.monotonic()
        due = [at - now for at in self._retry_at.values()]
        try:
            expiry = await repo.next_lease_expiry(self.db)
        except Exception:  # the database away: the round after next finds out
            expiry = None
        if expiry is not None:
            due.append(expiry + 0.5)
        return max(1.0, min([IDLE_SECONDS, *due]))

    async def _start_work(self) -> None:
        room = self.config.downloads_at_once - len(self._held)
        if room > 0:
            for row in await repo.claim_files(self.db, self.holder, LEASE_SECONDS, room):
                self._held[(row.hash, row.index)] = row
        now = time.monotonic()
        for slot, row in self._held.items():
            if slot in self._running or (self._retry_at.get(slot) or 0) > now:
                continue
            progress = self._progress.setdefault(row.hash, Progress())  # gone when a completion failed to commit
            progress.files.setdefault(row.index, row.downloaded)
            task = asyncio.create_task(self._fetch(row))
            self._running[slot] = task
            task.add_done_callback(lambda _, slot=slot: self._running.pop(slot, None))

    async def _renew(self) -> None:
        """Save the bytes on disk of every held file and renew its lease; let go of those taken away."""
        if not self._held:
            self._renewed_at = time.monotonic()
            return
        progress = [(h, i, self._on_disk(h, i, row.downloaded)) for (h, i), row in self._held.items()]
        started = time.monotonic()
        kept = await repo.renew_files(self.db, self.holder, LEASE_SECONDS, progress)
        self._renewed_at = started
        lost = [slot for slot in self._held if slot not in kept]
        if lost:
            log.info("downloads let go", files=len(lost), reason="deleted, paused or taken over")
            await self._let_go(lost)

    def _on_disk(self, torrent_hash: str, index: int, otherwise: int) -> int:
        progress = self._progress.get(torrent_hash)
        return progress.files.get(index, otherwise) if progress is not None else otherwise

    async def _stop_if_unrenewed(self) -> None:
        """The database is away: before the leases could run out (and another replica resume these files
        into the same `.part`), this replica stops fetching them."""
        if self._held and time.monotonic() - self._renewed_at > LEASE_SECONDS - LEASE_MARGIN:
            log.warning("downloads stopped: their leases could not be renewed", files=len(self._held))
            await self._let_go(list(self._held))

    def target_of(self, row: repo.FileWork) -> Path:
        return confine(self.root, str(PurePosixPath(row.save_path) / row.name / row.path))

    async def _fetch(self, row: repo.FileWork) -> None:
        slot = (row.hash, row.index)
        progress = self._progress[row.hash]
        async with self._slots:
            try:
                target = self.target_of(row)
                part = target.with_name(target.name + ".part")
                await asyncio.to_thread(part.parent.mkdir, parents=True, exist_ok=True)
                await self._transfer(row, part, progress)
                size = await asyncio.to_thread(lambda: part.stat().st_size)
                if size != row.size:
                    raise TransferError(f"got {size} bytes of {row.size}")
                await asyncio.to_thread(os.replace, part, target)
            except (TransferError, TorBoxError, NoKey, OSError) as error:
                progress.stalled = True
                self._retry_at.set(slot, time.monotonic() + 15)
                log.warning("download interrupted; will resume", hash=row.hash, error=str(error)[:200])
                return
            except PathRefused as refused:
                await self.side.fail(row.hash, str(refused))
                return
        progress.stalled = False
        progress.files[row.index] = row.size
        self._retry_at.pop(slot, None)
        self._stops.pop(slot, None)
        try:
            async with transaction(self.db) as connection:  # the completion and its event commit together
                last = await repo.file_done(connection, row.hash, row.index, row.size)
                if last:
                    await self._completed(connection, row.hash)
            self._held.pop(slot, None)
            if last:
                self._progress.pop(row.hash, None)  # only once committed: a retry still shows its bytes
        except Exception:  # neither is kept: the file (in place) is found again by the next round
            log.warning("download not recorded; will try again", hash=row.hash, exc_info=True)
        self.nudge()

    async def _transfer(self, row: repo.FileWork, part: Path, progress: Progress) -> None:
        target = part.with_name(part.name.removesuffix(".part"))
        if await asyncio.to_thread(_size_of, target) == row.size and await asyncio.to_thread(_size_of, part) is None:
            await asyncio.to_thread(os.replace, target, part)  # in place before its completion failed to commit
        have = await asyncio.to_thread(lambda: part.stat().st_size if part.exists() else 0)
        if have > row.size:
            have = 0
            await asyncio.to_thread(part.unlink)
        progress.files[row.index] = have
        if have == row.size:
            return
        url = await self._link(row)
        slot = (row.hash, row.index)
        stop = self._stops.setdefault(slot, threading.Event())

        def on_progress(done: int) -> None:  # from the worker thread: one int assignment
            progress.files[row.index] = done

        thread = self._threads[slot] = asyncio.ensure_future(
            asyncio.to_thread(fetch_into, url, part, have, row.size, on_progress, stop, self.config.stall_seconds)
        )
        try:
            await asyncio.shield(thread)  # cancelled, the task ends now; the thread ends when it sees `stop`
        except TransferError:
            self._links.pop((row.torbox_id, row.torbox_file_id), None)  # a fresh link next time
            raise
        finally:
            if thread.done():
                self._threads.pop(slot, None)

    async def _link(self, row: repo.FileWork) -> str:
        """One `requestdl` per file, its link reused while it is young (TorBox opens it for an hour)."""
        slot = (row.torbox_id, row.torbox_file_id)
        remembered = self._links.get(slot)
        if remembered is not None:
            return remembered
        key = await self.key.get()
        try:
            url = await self.torbox.request_download(key, row.torbox_id, row.torbox_file_id)
        except TorBoxError as error:
            await self.key.failed(error)
            raise
        self._links.set(slot, url)
        return url

    async def _completed(self, connection: asyncpg.Connection, torrent_hash: str) -> None:
        row = await repo.torrent(connection, torrent_hash)
        if row is None:
            return
        files = [f.path for f in await repo.files(connection, torrent_hash)]
        content = str(PurePosixPath(row.save_path) / row.name)
        log.info("download completed", hash=torrent_hash, files=len(files))
        await self.events.changed(
            torrent_hash,
            row.name,
            "completed",
            row.category,
            content_path=content,
            files=files,
            connection=connection,
        )


def _size_of(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None
