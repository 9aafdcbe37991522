"""Links in a `torrents/add` (`urls=http…`): answered at once and fetched afterwards, as qBittorrent does —
a host that never answers holds nobody — then added like any other torrent."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import httpx

from libs.tasks import log_failure
from libs.telemetry import get_logger
from libs.torrent_meta import btih_from_magnet, fetch_torrent

from .torrents import AddOptions, BadTorrent, Conflict, NewTorrent, TorrentService, from_magnet, from_torrent_file

log = get_logger(__name__)
MAX_LINKS_FETCHING = 200


class LinkAdder:
    def __init__(self, http: httpx.AsyncClient, torrents: TorrentService) -> None:
        self.http = http
        self.torrents = torrents
        self._fetching: set[asyncio.Task[None]] = set()

    def add_later(self, urls: list[str], options: AddOptions) -> bool:
        """Fetch each link's torrent in the background and add it then; False when too many already wait."""
        if len(self._fetching) + len(urls) > MAX_LINKS_FETCHING:
            log.warning("torrent links refused: too many are being fetched", waiting=len(self._fetching))
            return False
        for url in urls:
            task = asyncio.create_task(self._add(url, options))
            self._fetching.add(task)
            task.add_done_callback(self._fetching.discard)
        return True

    async def close(self) -> None:
        for task in list(self._fetching):
            task.cancel()
        await asyncio.gather(*self._fetching, return_exceptions=True)

    async def _add(self, url: str, options: AddOptions) -> None:
        host = urlsplit(url).hostname  # the link itself may hold an indexer's key: never logged
        try:
            item = await self.resolve(url)
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

    async def resolve(self, url: str) -> NewTorrent | None:
        """What an http(s) link leads to (a magnet, or a .torrent), read once."""
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
