"""Media servers told about finished downloads and about what Sonarr and Radarr imported, in one call per
server per window.

A completion (`torrent.status` from qbt-shim, or a tracked client's download) puts its file paths — mapped
to each enabled server's view — into `notifier_refresh_queue` before its event is acknowledged; so does a
Sonarr or Radarr webhook, with the library paths it carries (files imported, renamed or deleted), as the
`refreshOn` setting chooses. The flusher
sends a server everything that waited once the oldest entry is `coalesceSeconds` old: one
`/Library/Media/Updated` with the file paths (never folders: Jellyfin widens sibling folders to the whole
library), or one `/Library/Refresh` when some completion had no path. A failed call stays queued and is
tried again with back-off; it never holds back another server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

import asyncpg

from libs.schemas import Alert, TorrentStatus
from libs.schemas.notifier import Integrations
from libs.tasks import log_failure, nap
from libs.telemetry import get_logger

from . import repository as repo
from .mapping import map_path
from .media_servers import MediaServerClient, MediaServerError, target_of
from .settings import SettingsStore

log = get_logger(__name__)
SERVERS = ("jellyfin", "emby")
IDLE_SECONDS = 60.0  # nothing waits: a look now and then all the same (a wake-up lost is not a refresh lost)
RETRY_SECONDS = 5.0
# a refresh being sent is this replica's for so long (a media server's answer comes well within it): another
# replica sends it only when this one died before dropping it (sent) or putting it back (failed)
SEND_HOLD_SECONDS = 120.0
ALERT_AFTER_ATTEMPTS = 3  # a media server that failed so many times in a row is an alert


def backoff_seconds(attempts: int) -> float:
    return min(300.0, 5.0 * 2 ** max(0, attempts - 1))


class Refresher:
    def __init__(
        self, db: asyncpg.Pool, settings: SettingsStore, client: MediaServerClient, tick_seconds: float = 0.5
    ) -> None:
        self.db = db
        self.settings = settings
        self.client = client
        self.tick = tick_seconds  # the shortest pause between two rounds
        self._wake = asyncio.Event()
        self.on_alert: Callable[[list[Alert]], Awaitable[None]] = _unheard

    async def torrents_changed(self, events: Sequence[TorrentStatus]) -> None:
        for event in events:
            if event.state == "completed":
                await self.completed(event.files or ([event.content_path] if event.content_path else []))

    async def completed(self, paths: list[str], connection: asyncpg.Connection | None = None) -> None:
        """Queue these finished files for every enabled server (no path: a full refresh), unless only imports
        are to be told; inside the transaction of `connection` when given, so the completion and its refresh
        commit together."""
        settings = await self.settings.get()
        if settings.refresh_on != "import":
            await self._queue(settings, [(path, "Created") for path in paths] or [("", "Created")], connection)

    async def imported(self, changes: Sequence[tuple[str, str]]) -> int:
        """Queue what Sonarr or Radarr changed in the library ((path, Created | Modified | Deleted)), unless
        only downloads are to be told: how many paths were queued for each server."""
        settings = await self.settings.get()
        if settings.refresh_on == "download" or not changes:
            return 0
        return await self._queue(settings, changes, None)

    async def _queue(
        self, settings: Integrations, changes: Sequence[tuple[str, str]], connection: asyncpg.Connection | None
    ) -> int:
        servers = [name for name in SERVERS if target_of(name, getattr(settings, name)) is not None]
        # as the servers see the paths; a path named twice takes its last change
        mapped = {map_path(path, settings.path_mappings) if path else "": change for path, change in changes}
        rows = [(name, path, change) for name in servers for path, change in mapped.items()]
        if not rows:
            return 0
        # a path already waiting keeps its place: the window runs from the first completion
        await repo.queue_refreshes(connection or self.db, rows)
        if connection is None:
            self._wake.set()
        else:  # visible once the caller's transaction commits, a moment from now
            asyncio.get_running_loop().call_later(0.5, self._wake.set)
        return len(mapped)

    async def run(self) -> None:
        """Asleep until a completion is queued, then until the oldest waiting path is due (its window, or its
        back-off after a failure): no query while nothing waits."""
        while True:
            self._wake.clear()
            try:
                delay = await self.flush()
            except Exception as error:  # the database away: it waits
                log_failure(log, "refresh round failed; will retry", error)
                delay = RETRY_SECONDS
            await nap(max(self.tick, min(delay, IDLE_SECONDS)), self._wake)

    async def flush(self, now: datetime | None = None) -> float:
        """Send what is due; the seconds until the next waiting path is."""
        now = now or datetime.now(UTC)
        settings = await self.settings.get()
        window = timedelta(seconds=settings.coalesce_seconds)
        due = await repo.claim_due_refreshes(self.db, now, window, SEND_HOLD_SECONDS)
        await asyncio.gather(*(self._send(row, settings, now) for row in due))
        waiting = await repo.seconds_until_due(self.db, window)
        return IDLE_SECONDS if waiting is None else max(0.0, waiting)

    async def _send(self, row: repo.DueRefresh, settings, now: datetime) -> None:
        name, paths = row.server, row.paths
        target = target_of(name, getattr(settings, name))
        if target is None:  # disabled since: what waited for it is dropped
            await repo.drop_refreshes(self.db, name)
            return
        full = "" in paths
        try:
            if full:
                await self.client.refresh_all(target)
            else:
                await self.client.files_updated(target, list(zip(paths, row.changes, strict=True)))
        except MediaServerError as error:
            attempts = row.attempts + 1
            retry_at = now + timedelta(seconds=backoff_seconds(attempts))
            await repo.retry_refreshes(self.db, name, paths, attempts, retry_at, str(error))
            await repo.log_refresh(self.db, name, len(paths), full, str(error))
            log.warning("media server refresh failed; will retry", server=name, error=str(error), attempts=attempts)
            if attempts >= ALERT_AFTER_ATTEMPTS:
                message = f"{attempts} refreshes in a row failed; the last: {error}. Still retrying."
                await self.on_alert([_server_alert(name, "failing", f"{name} cannot be told", message)])
            return
        await repo.drop_refreshes(self.db, name, paths)
        await repo.log_refresh(self.db, name, len(paths), full, None)
        if row.attempts >= ALERT_AFTER_ATTEMPTS:
            message = f"{name} took the refresh of {len(paths)} path(s) that waited."
            await self.on_alert([_server_alert(name, "recovered", f"{name} is told again", message)])
        log.info("media server told", server=name, paths=len(paths), full_scan=full)


def _server_alert(name: str, state: str, title: str, message: str) -> Alert:
    return Alert(subject=f"media-server:{name}", state=state, title=title, message=message, source="notifier")  # type: ignore[arg-type]


async def _unheard(alerts: list[Alert]) -> None:
    """No alerts wired (a refresher on its own, in tests)."""
