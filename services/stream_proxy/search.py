"""Searching Prowlarr for one film or episode: which indexers (indexer-stats' ranking, or Prowlarr's own list
when indexer-stats does not answer in time), one search per indexer in parallel, each with its own timeout
inside an overall budget, and one `indexer.search` event per indexer whatever happened."""

from __future__ import annotations

import asyncio
import time
import uuid
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


class Searcher:
    def __init__(
        self, bus: Bus, prowlarr: ProwlarrClient, plan: SearchPlan | None = None, emit: Emit | None = None
    ) -> None:
        self.bus = bus
        # where events go: the service's outbox (kept while NATS is away), or straight to JetStream
        self.emit: Emit = emit or (lambda subject, event: publish(bus, subject, event))
        self.prowlarr = prowlarr
        self.plan = plan or SearchPlan()

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

    async def search(self, wanted: Wanted) -> list[Release]:
        search_id = uuid.uuid4().hex
        tasks = [
            asyncio.create_task(self._one(search_id, indexer, *query, wanted.media))
            for indexer in await self.indexers()
            if (query := search_query(wanted, indexer)) is not None
        ]
        if not tasks:
            return []
        done, pending = await asyncio.wait(tasks, timeout=self.plan.budget)
        for task in pending:  # over the budget: left out, counted as a timeout by its own task
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        return [release for task in done for release in task.result()]

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
