"""Searching Prowlarr for one film or episode: which indexers (indexer-stats' ranking, or Prowlarr's own list
when indexer-stats does not answer in time), one search per indexer in parallel, each with its own timeout
inside an overall budget, and one `indexer.search` event per indexer whatever happened.

A player waits for the list: once most indexers have answered, the others get a short grace and the list goes
out without them; what they find later is handed to `Late` (the shared search cache, for the next request)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from libs.bus import Bus, BusError, BusUnavailable, publish
from libs.outbox import Emit
from libs.prowlarr import ProwlarrClient, ProwlarrError, Release
from libs.schemas import INDEXER_RANKING_GET, INDEXER_SEARCH, IndexerSearch, RankedIndexer, RankingRequest
from libs.telemetry import get_logger

from .media_id import MediaId

log = get_logger(__name__)


@dataclass(frozen=True)
class SearchPlan:
    ranking_timeout: float = 0.2  # indexer-stats answers from memory; past this, ask Prowlarr instead
    budget: float = 8.0  # the whole search; what is not back by then is left out
    default_timeout_ms: int = 5000
    grace: float = 1.0  # once most indexers are back, how long the others are waited for before answering


@dataclass(frozen=True)
class Wanted:
    """What is searched for: the film or episode, and its title and year as Cinemeta knows them."""

    media: MediaId
    title: str | None = None
    year: int | None = None


def search_query(wanted: Wanted, indexer: RankedIndexer) -> tuple[str, str] | None:
    """(query, type) for one indexer, by what it can search; None when it cannot be asked at all.

    Prowlarr skips an indexer outright — no search, no results — when the query carries an id its capabilities
    do not list (HttpIndexerBase.Fetch, since 2023-08): an indexer with IMDb search is asked by id, any other
    by the title (and year) as text. Season and episode never make Prowlarr skip one, so they stay tokens; a
    year would, so it goes in the text."""
    media = wanted.media
    kind = "tvsearch" if media.is_episode else "movie"
    episode = f"{{Season:{media.season}}}{{Episode:{media.episode}}}" if media.is_episode else ""
    if indexer.supports_tv_imdb if media.is_episode else indexer.supports_imdb:
        return f"{{ImdbId:{media.imdb_id}}}{episode}", kind
    if not wanted.title:
        return None  # no id search, and no title to search by (Cinemeta did not answer)
    text = wanted.title if media.is_episode or not wanted.year else f"{wanted.title} {wanted.year}"
    return f"{text} {episode}".strip(), kind


class Late:
    """Where a search's late results go: `deliver` gets the releases of the indexers left behind once they
    have answered or run out of budget; `pending` says whether any was left behind."""

    def __init__(self, deliver: Callable[[list[Release]], Awaitable[None]]) -> None:
        self.deliver = deliver
        self.pending = False


class Searcher:
    def __init__(
        self, bus: Bus, prowlarr: ProwlarrClient, plan: SearchPlan | None = None, emit: Emit | None = None
    ) -> None:
        self.bus = bus
        # where events go: the service's outbox (kept while NATS is away), or straight to JetStream
        self.emit: Emit = emit or (lambda subject, event: publish(bus, subject, event))
        self.prowlarr = prowlarr
        self.plan = plan or SearchPlan()
        self._late: set[asyncio.Task[None]] = set()  # searches finishing after their list was answered

    async def close(self) -> None:
        for task in self._late:
            task.cancel()
        await asyncio.gather(*self._late, return_exceptions=True)

    async def indexers(self) -> list[RankedIndexer]:
        try:
            reply = await self.bus.request(
                INDEXER_RANKING_GET, RankingRequest(protocol="torrent"), timeout=self.plan.ranking_timeout
            )
            if any(indexer.status != "down" for indexer in reply.indexers):
                return reply.indexers
            # every indexer is down by the figures (or the ones left are only being probed): Prowlarr's own
            # list gives each its chance rather than "no results" until the figures age out
            log.info("every ranked indexer is down; using Prowlarr's list")
        except (BusUnavailable, BusError):
            log.info("indexer ranking unavailable; using Prowlarr's list")
        infos = await self.prowlarr.indexers()
        return [
            RankedIndexer(
                id=i.id,
                name=i.name,
                status="operational",
                timeout_ms=self.plan.default_timeout_ms,
                supports_imdb=i.supports_imdb,
                supports_tv_imdb=i.supports_tv_imdb,
            )
            for i in sorted(infos, key=lambda i: (i.priority, i.id))
            if i.enable and i.protocol == "torrent"
        ]

    async def search(self, wanted: Wanted, late: Late | None = None) -> list[Release]:
        """Every indexer's releases within the budget; with `late`, those of most indexers and of the others
        that answer within the grace — the rest go to `late` when they come."""
        search_id = uuid.uuid4().hex
        tasks = [
            asyncio.create_task(self._one(search_id, indexer, *query, wanted.media))
            for indexer in await self.indexers()
            if (query := search_query(wanted, indexer)) is not None
        ]
        if not tasks:
            return []
        deadline = time.monotonic() + self.plan.budget
        if late is None:
            done, pending = await asyncio.wait(tasks, timeout=self.plan.budget)
        else:
            done, pending = await self._most_then_grace(tasks, deadline)
        early = [release for task in done for release in task.result()]
        if pending and late is not None:
            late.pending = True
            task = asyncio.create_task(self._rest(pending, deadline, late))
            self._late.add(task)
            task.add_done_callback(self._late.discard)
            return early
        await _cancelled(pending)
        return early

    async def _most_then_grace(
        self, tasks: list[asyncio.Task[list[Release]]], deadline: float
    ) -> tuple[set[asyncio.Task[list[Release]]], set[asyncio.Task[list[Release]]]]:
        done: set[asyncio.Task[list[Release]]] = set()
        pending = set(tasks)
        most = len(tasks) // 2 + 1
        while pending and len(done) < most and (left := deadline - time.monotonic()) > 0:
            finished, pending = await asyncio.wait(pending, timeout=left, return_when=asyncio.FIRST_COMPLETED)
            done |= finished
        if pending and (left := deadline - time.monotonic()) > 0:
            finished, pending = await asyncio.wait(pending, timeout=min(self.plan.grace, left))
            done |= finished
        return done, pending

    async def _rest(self, pending: set[asyncio.Task[list[Release]]], deadline: float, late: Late) -> None:
        done, pending = await asyncio.wait(pending, timeout=max(0.0, deadline - time.monotonic()))
        await _cancelled(pending)
        try:
            await late.deliver([release for task in done for release in task.result()])
        except Exception as error:  # the next request searches again: nothing is lost but the head start
            log.warning("late search results not kept", error=type(error).__name__)

    async def _one(
        self, search_id: str, indexer: RankedIndexer, query: str, kind: str, media: MediaId
    ) -> list[Release]:
        started = time.perf_counter()
        outcome, error_kind, status, releases = "success", None, 200, []
        try:
            async with asyncio.timeout(indexer.timeout_ms / 1000):
                releases = await self.prowlarr.search(query, kind, [indexer.id], indexer.timeout_ms / 1000)
        except TimeoutError:
            outcome, error_kind, status = "timeout", "timeout", None
        except ProwlarrError as error:
            outcome, error_kind, status = "failure", error.kind, error.status
            if error.kind == "unreachable":
                outcome, error_kind = "timeout", "unreachable"
        except asyncio.CancelledError:
            outcome, error_kind, status = "timeout", "budget", None
            await self._report(search_id, indexer, query, kind, media, started, outcome, 0, error_kind, status)
            raise
        await self._report(search_id, indexer, query, kind, media, started, outcome, len(releases), error_kind, status)
        return releases

    async def _report(self, search_id, indexer, query, kind, media, started, outcome, count, error_kind, status):
        event = IndexerSearch(
            search_id=search_id,
            indexer_id=indexer.id,
            indexer_name=indexer.name,
            query=query,
            imdb_id=media.imdb_id,
            search_type=kind,
            duration_ms=round((time.perf_counter() - started) * 1000),
            outcome=outcome,
            result_count=count,
            error_kind=error_kind,
            http_status=status,
        )
        try:
            await self.emit(INDEXER_SEARCH, event)
        except Exception as error:  # the measurement is lost, the search is not
            log.warning("indexer.search not published", error=type(error).__name__)


async def _cancelled(tasks: set[asyncio.Task[list[Release]]]) -> None:
    """Over the budget: left out, each counted as a timeout by its own task."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
