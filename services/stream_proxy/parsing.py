"""Release titles parsed with rank-torrent-name (over parsett), off the event loop and remembered; and
whether a parsed release is the film or episode asked for (a season pack counts for its episodes)."""

from __future__ import annotations

import asyncio

from libs.cache import BoundedCache

from .media_id import MediaId
from .parsed import Parsed
from .workers import WorkerPool

__all__ = ["Parsed", "TitleParser", "matches"]


class TitleParser:
    """Parses in worker processes (parsing is CPU work: the event loop keeps serving meanwhile; `workers.py`)
    and remembers what it parsed, in this process too."""

    def __init__(self, workers: int = 2, max_titles: int = 100_000) -> None:
        self._pool = WorkerPool(workers)
        self._workers = workers
        self._known: BoundedCache[str, Parsed] = BoundedCache(max_titles)

    @property
    def worker_pids(self) -> list[int]:
        return self._pool.pids

    async def start(self) -> None:
        """Start every worker now (they import RTN: ~0.5 s), not during a user's first search."""
        await self._pool.start()

    async def parse(self, raws: list[str]) -> list[Parsed]:
        # what is known now is kept here: another search may push it out of the cache while this one waits
        found = {raw: parsed for raw in set(raws) if (parsed := self._known.get(raw)) is not None}
        missing = sorted(set(raws) - found.keys())
        if missing:
            # about a millisecond a title: a new search's titles are shared between the workers
            chunks = [missing[i :: self._workers] for i in range(min(self._workers, len(missing)))]
            done = await asyncio.gather(*(self._pool.call("parse_many", (c,), list[Parsed]) for c in chunks))
            for parsed in (p for chunk in done for p in chunk):
                found[parsed.raw] = parsed
                self._known.set(parsed.raw, parsed)
        return [found[raw] for raw in raws]

    async def same_titles(self, wanted: str | None, titles: list[str]) -> list[bool]:
        """Whether each title is the one asked for (compared in a worker: the service holds no RTN)."""
        if not wanted or not any(titles):
            return [True] * len(titles)
        return await self._pool.call("same_titles", (wanted, titles), list[bool])

    def close(self) -> None:
        self._pool.close()


def matches(parsed: Parsed, media: MediaId, year: int | None, same_title: bool = True) -> bool:
    """Same title (`same_title`: TitleParser.same_titles), a year at most one off for films, the asked
    episode for series: `S01E02`, a pack of season 1 (no episodes named), or a multi-episode release that
    includes it."""
    if not same_title:
        return False
    if not media.is_episode:
        if parsed.seasons or parsed.episodes:
            return False
        return year is None or parsed.year is None or abs(parsed.year - year) <= 1
    if parsed.seasons and media.season not in parsed.seasons:
        return False
    if not parsed.seasons and not parsed.episodes:
        return False  # nothing says which episode this is
    return not parsed.episodes or media.episode in parsed.episodes
