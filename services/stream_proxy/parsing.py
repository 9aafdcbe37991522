"""Release titles parsed with rank-torrent-name (over parsett), off the event loop and remembered; and
whether a parsed release is the film or episode asked for (a season pack counts for its episodes)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import select
import threading
import time
from concurrent.futures import ProcessPoolExecutor

from libs.cache import BoundedCache

from .media_id import MediaId
from .parsed import Parsed

__all__ = ["Parsed", "TitleParser", "matches"]


def _in_worker(name: str, *args: object) -> object:
    """Runs in a parsing worker: titles.py's `name` (imported there — preloaded by the fork server — never in
    the service process)."""
    from . import titles

    return getattr(titles, name)(*args)


def _exit_with(service_pid: int) -> None:
    """A worker's initializer: exit when the service does, even killed. Nothing else would end it: the
    workers and their fork server each hold what keeps the other waiting."""

    def watch() -> None:
        try:
            handle = os.pidfd_open(service_pid)
        except ProcessLookupError:  # already gone
            os._exit(0)
        except OSError:  # no pidfd (an old kernel): ask every second
            while True:
                try:
                    os.kill(service_pid, 0)
                except ProcessLookupError:
                    os._exit(0)
                time.sleep(1.0)
        select.select([handle], [], [])  # readable once the service has exited
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-service", daemon=True).start()


class TitleParser:
    """Parses in a worker process (parsing is CPU work: the event loop keeps serving meanwhile) and
    remembers what it parsed, in this process too.

    The workers come from a fork server, never forked from the service itself: a forked worker would
    inherit the service's open sockets, and a keep-alive connection the service closed would stay open in
    the worker — Traefik would send its next request there and wait for ever.
    """

    def __init__(self, workers: int = 2, max_titles: int = 100_000) -> None:
        context = multiprocessing.get_context("forkserver")
        # RTN imported once, in the fork server (its pages shared by the workers), never in the service
        context.set_forkserver_preload([__name__, f"{__package__}.titles"])
        self._pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_exit_with, initargs=(os.getpid(),)
        )
        self._workers = workers
        self._known: BoundedCache[str, Parsed] = BoundedCache(max_titles)

    async def start(self) -> None:
        """Start every worker now (the fork server imports RTN: ~0.4 s), not during a user's first search."""
        loop = asyncio.get_running_loop()
        samples = [[f"Warm.Up.S01E{n:02d}.720p"] for n in range(1, self._workers + 1)]
        await asyncio.gather(
            *(loop.run_in_executor(self._pool, _in_worker, "parse_many", sample) for sample in samples)
        )

    async def parse(self, raws: list[str]) -> list[Parsed]:
        # what is known now is kept here: another search may push it out of the cache while this one waits
        found = {raw: parsed for raw in set(raws) if (parsed := self._known.get(raw)) is not None}
        missing = sorted(set(raws) - found.keys())
        if missing:
            # about a millisecond a title: a new search's titles are shared between the workers
            loop = asyncio.get_running_loop()
            chunks = [missing[i :: self._workers] for i in range(min(self._workers, len(missing)))]
            done = await asyncio.gather(
                *(loop.run_in_executor(self._pool, _in_worker, "parse_many", c) for c in chunks)
            )
            for parsed in (p for chunk in done for p in chunk):
                found[parsed.raw] = parsed
                self._known.set(parsed.raw, parsed)
        return [found[raw] for raw in raws]

    async def same_titles(self, wanted: str | None, titles: list[str]) -> list[bool]:
        """Whether each title is the one asked for (compared in a worker: the service holds no RTN)."""
        if not wanted or not any(titles):
            return [True] * len(titles)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, _in_worker, "same_titles", wanted, titles)

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


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
