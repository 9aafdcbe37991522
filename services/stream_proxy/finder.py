"""The releases of one film or episode: searched once, shared by every user for a while (NATS KV), and
searched once at a time however many players ask together."""

from __future__ import annotations

import asyncio

import httpx

from libs.bus import KeyValueCache, kv_key
from libs.cinemeta import CinemetaClient
from libs.flight import SingleFlight
from libs.prowlarr import Release
from libs.schemas.stremio import FoundRelease, FoundReleases
from libs.telemetry import get_logger

from .hashes import hash_releases
from .media_id import MediaId
from .parsing import TitleParser, matches
from .search import Late, Searcher, Wanted

log = get_logger(__name__)


class NotConfigured(Exception):
    """Searching is not possible as configured; `str()` says what to set."""


def media_key(media: MediaId) -> str:
    return kv_key(media.imdb_id, media.season, media.episode) if media.is_episode else kv_key(media.imdb_id)


class ReleaseFinder:
    def __init__(
        self,
        searcher: Searcher | None,
        http: httpx.AsyncClient,
        cinemeta: CinemetaClient,
        parser: TitleParser,
        cache: KeyValueCache[FoundReleases],
    ) -> None:
        self.searcher = searcher
        self.http = http
        self.cinemeta = cinemeta
        self.parser = parser
        self.cache = cache
        self._flight: SingleFlight[list[FoundRelease]] = SingleFlight()
        self._settling: set[str] = set()  # searches answered while some indexers had not: more to come

    def settling(self, media: MediaId) -> bool:
        """Whether this film's or episode's last search still waits for an indexer (its list will grow)."""
        return media_key(media) in self._settling

    async def releases(self, media: MediaId) -> list[FoundRelease]:
        """What is known of this film or episode; `NotConfigured` when there is no Prowlarr to ask."""
        if self.searcher is None:
            raise NotConfigured("Prowlarr is not configured: set PROWLARR_URL and PROWLARR_API_KEY")
        key = media_key(media)
        known = await self.cache.get(key)
        if known is not None:
            return known.releases
        return await self._flight.run(key, lambda: self._search(media, key))

    async def _search(self, media: MediaId, key: str) -> list[FoundRelease]:
        title = await self.cinemeta.title("series" if media.is_episode else "movie", media.imdb_id)
        assert self.searcher is not None
        wanted = Wanted(media, title.name, title.year) if title else Wanted(media)
        early: list[FoundRelease] = []
        early_kept = asyncio.Event()

        async def settled(later: list[Release]) -> None:
            """The indexers left behind have answered: the whole list, for the next request."""
            try:
                await early_kept.wait()
                found = early + await self._matching(wanted, later)
                await self._remember(key, found, searched=len(later) + len(early))
            finally:
                self._settling.discard(key)

        late = Late(settled)
        releases = await self.searcher.search(wanted, late)
        if late.pending:
            self._settling.add(key)
        try:
            early.extend(await self._matching(wanted, releases))
        finally:
            early_kept.set()
        await self._remember(key, early, searched=len(releases))
        return early

    async def _matching(self, wanted: Wanted, releases: list[Release]) -> list[FoundRelease]:
        """The releases that are of the film or episode wanted (a .torrent read for those without a hash)."""
        hashed = await hash_releases(self.http, [r for r in releases if r.protocol == "torrent"])
        parsed = await self.parser.parse([h.release.title for h in hashed])
        same = await self.parser.same_titles(wanted.title, [p.title for p in parsed])
        return [
            FoundRelease(
                hash=item.info_hash,
                title=item.release.title,
                size=item.release.size,
                seeders=item.release.seeders or 0,
                indexer=item.release.indexer,
            )
            for item, names, same_title in zip(hashed, parsed, same, strict=True)
            if matches(names, wanted.media, wanted.year, same_title)
        ]

    async def _remember(self, key: str, found: list[FoundRelease], searched: int) -> None:
        log.info("searched", media=key, results=searched, kept=len(found))
        if searched:  # nothing found may be an outage: ask again next time rather than remember it
            await self.cache.put(key, FoundReleases(found))
