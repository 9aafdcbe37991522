"""The figures kept current: 24 h counters, status, global row and, in memory, the ranking that
`indexer.ranking.get` answers from without touching the database."""

from __future__ import annotations

import asyncio
import time

import asyncpg

from libs.db import transaction
from libs.leases import Leases
from libs.outbox import Outbox
from libs.retention import keep_pruned
from libs.schemas import ALERT_RAISED, Alert, RankedIndexer, RankingReply, RankingRequest
from libs.schemas.indexer_admin import GlobalView, HourView, IndexerView, ProwlarrCounters, SourceView
from libs.tasks import every, log_failure, nap
from libs.telemetry import get_logger

from .config import StatsConfig, retention
from .repository import history, searches
from .repository import indexers as repo
from .status import ranking, status_of, success_rate, suggested_timeout_ms

log = get_logger(__name__)
SOURCES_SECONDS = 30.0  # the figures per searcher are counted again at most so often


def _int(value: float | None) -> int | None:
    return None if value is None else round(value)


def indexer_alert(figures: repo.IndexerFigures, before: str | None, now: str) -> Alert | None:
    """An indexer going down, or coming back from down, is an alert (degraded is not). Pure."""
    if before is None or (before == "down") == (now == "down"):
        return None
    subject = f"indexer:{figures.prowlarr_id}"
    if now == "down":
        why = "Prowlarr has disabled it for now" if figures.blocked else "its searches fail or are too slow"
        message = f"{figures.name} is down: {why}. Stremio searches skip it until it recovers."
        return Alert(subject=subject, state="failing", title=f"Indexer {figures.name} is down", message=message,
                     source="indexer-stats")  # fmt: skip
    return Alert(subject=subject, state="recovered", title=f"Indexer {figures.name} is back ({now})",
                 message=f"{figures.name} answers again.", source="indexer-stats")  # fmt: skip


class Stats:
    def __init__(self, db: asyncpg.Pool, config: StatsConfig, outbox: Outbox | None = None) -> None:
        self.db = db
        self.config = config
        self.outbox = outbox  # an indexer going down or coming back is an alert, written with its status
        self.figures: list[repo.IndexerFigures] = []
        self._ranked: dict[str | None, list[RankedIndexer]] = {}
        self._changed = asyncio.Event()
        self._global: GlobalView | None = None
        self._sources: dict[int, list[SourceView]] = {}  # Prowlarr's indexer id → its searchers' figures
        self._sources_at = -SOURCES_SECONDS
        self.refreshed = 0
        self._searched = True  # searches arrived since the percentiles were last computed

    def changed(self) -> None:
        """New searches were stored: refresh soon."""
        self._changed.set()
        self._searched = True

    def history_read(self) -> None:
        """Prowlarr's history brought searches or grabs: the figures per searcher are counted at the refresh."""
        self._sources_at = -SOURCES_SECONDS
        self.changed()

    async def refresh(self) -> None:
        figures = await repo.figures(self.db, self.config.window_searches)
        updates = []
        for f in figures:
            rate = success_rate(f)
            updates.append(
                (
                    f.id,
                    status_of(f, self.config),
                    None if rate is None else round(rate, 2),
                    f.requests_24h,
                    f.successes_24h,
                    f.failures_24h,
                    f.timeouts_24h,
                    _int(f.avg_ms_24h),
                )
            )
        async with transaction(self.db) as conn:
            before = await repo.save_status(conn, updates)
            alerts = [
                alert
                for f, update in zip(figures, updates, strict=True)
                if (alert := indexer_alert(f, before.get(f.id), update[1])) is not None
            ]
            if alerts and self.outbox is not None:
                await self.outbox.add_many(ALERT_RAISED, alerts, conn)
        await repo.refresh_global(self.db)
        self._global = self._global_view(await repo.global_row(self.db))
        if time.monotonic() - self._sources_at >= SOURCES_SECONDS:  # a day's logs read at most so often
            await self._count_sources()
        self.figures = figures
        self._ranked = {protocol: ranking(figures, self.config, protocol) for protocol in (None, "torrent", "usenet")}
        self.refreshed += 1

    async def _count_sources(self) -> None:
        sources: dict[int, list[SourceView]] = {}
        for row in await history.by_source(self.db):
            view = SourceView(
                source=row.source, searches24h=row.searches, failures24h=row.failures, avg_ms=row.avg_ms,
                grabs24h=row.grabs,
            )  # fmt: skip
            sources.setdefault(row.indexer_id, []).append(view)
        self._sources, self._sources_at = sources, time.monotonic()

    def rank(self, request: RankingRequest) -> RankingReply:
        """From memory: what the last refresh decided."""
        return RankingReply(indexers=list(self._ranked.get(request.protocol, [])))

    def indexer_views(self) -> list[IndexerView]:
        views = []
        for f in self.figures:
            rate = success_rate(f)
            views.append(
                IndexerView(
                    id=f.prowlarr_id,
                    name=f.name,
                    status=status_of(f, self.config),
                    enabled=f.enabled,
                    protocol=f.protocol,
                    priority=f.priority,
                    requests24h=f.requests_24h,
                    successes24h=f.successes_24h,
                    failures24h=f.failures_24h,
                    timeouts24h=f.timeouts_24h,
                    avg_ms=_int(f.avg_ms_24h),
                    p50_ms=_int(f.p50_ms),
                    p95_ms=_int(f.p95_ms),
                    success_rate=None if rate is None else round(rate, 2),
                    supports_imdb=f.supports_imdb,
                    blocked_by_prowlarr=f.blocked,
                    suggested_timeout_ms=suggested_timeout_ms(f, self.config),
                    prowlarr=ProwlarrCounters(*f.prowlarr),
                    sources=self._sources.get(f.prowlarr_id, []),
                )
            )
        return views

    def global_view(self) -> GlobalView:
        """From memory, as of the last refresh (requests never wait on the database)."""
        assert self._global is not None, "refresh() runs at start-up"
        return self._global

    @staticmethod
    def _global_view(row: repo.GlobalRow) -> GlobalView:
        return GlobalView(
            total_searches24h=row.total_searches_24h,
            successful_searches24h=row.successful_searches_24h,
            failed_searches24h=row.failed_searches_24h,
            timeout_searches24h=row.timeout_searches_24h,
            avg_response_time24h=row.avg_response_time_24h,
            p95_response_time24h=row.p95_response_time_24h,
            slowest_indexer=row.slowest_name,
            slowest_indexer_avg_time=row.slowest_indexer_avg_time,
            most_reliable_indexer=row.reliable_name,
            most_reliable_success_rate=row.most_reliable_success_rate,
            last_updated_at=row.last_updated_at,
        )

    async def hours(self, prowlarr_id: int, hours: int) -> list[HourView] | None:
        if not any(f.prowlarr_id == prowlarr_id for f in self.figures):
            return None
        return [
            HourView(
                hour=r.hour_bucket,
                requests=r.total_requests,
                successes=r.successful_requests,
                failures=r.failed_requests,
                timeouts=r.timeout_requests,
                avg_ms=r.avg_response_time,
                min_ms=r.min_response_time,
                max_ms=r.max_response_time,
                p50_ms=r.p50_response_time,
                p95_ms=r.p95_response_time,
                results=r.total_results_returned,
                success_rate=round(100.0 * r.successful_requests / r.total_requests, 2) if r.total_requests else None,
            )
            for r in await repo.hourly(self.db, prowlarr_id, hours)
        ]

    async def hourly_all(self, hours: int) -> list[repo.HourRow]:
        """Every indexer's hourly figures over the last `hours`, for the page's charts (one query)."""
        return await repo.hourly_all(self.db, hours)

    async def run(self) -> None:
        """Refresh after new searches (at most every refresh interval), and every idle interval regardless."""
        while True:
            await nap(self.config.idle_refresh_seconds, self._changed)
            self._changed.clear()
            try:
                await self.refresh()
            except Exception as error:
                log_failure(log, "refresh failed; the last figures stay", error)
            await asyncio.sleep(min(0.5, self.config.refresh_seconds))

    async def run_retention(self, lease: Leases | None = None, interval: float = 3600.0) -> None:
        await keep_pruned(self.db, retention(self.config), interval, lease)

    async def run_percentiles(self) -> None:
        # not leased: each replica refreshes after the searches it stored itself (the same SQL, idempotent)
        await every(self.config.percentile_seconds, self._percentiles, what="percentile refresh", first_now=True)

    async def _percentiles(self) -> None:
        """Hourly p50/p95 from the logs, when searches came since the last time (nothing to redo otherwise)."""
        if self._searched:
            self._searched = False
            await searches.refresh_percentiles(self.db)
