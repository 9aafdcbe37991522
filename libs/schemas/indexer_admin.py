"""indexer-stats' HTTP bodies: what its pages and admin API answer."""

from __future__ import annotations

from datetime import datetime

import msgspec

from .base import View
from .indexer import IndexerStatus


class ProwlarrCounters(View):
    """What Prowlarr itself counted for the indexer (all searches through it, Sonarr's and Radarr's too)."""

    queries: int
    grabs: int
    failed_queries: int
    failed_grabs: int
    rss_queries: int
    auth_queries: int
    avg_grab_ms: int | None


class SourceView(View):
    """One indexer's last 24 h as one searcher saw it: stream-proxy, or an application through Prowlarr."""

    source: str
    searches24h: int
    failures24h: int
    avg_ms: int | None  # as Prowlarr recorded it for an application's searches
    grabs24h: int


class IndexerView(View):
    id: int  # Prowlarr's indexer id
    name: str
    status: IndexerStatus
    enabled: bool
    protocol: str
    priority: int
    requests24h: int
    successes24h: int
    failures24h: int
    timeouts24h: int
    avg_ms: int | None
    p50_ms: int | None
    p95_ms: int | None
    success_rate: float | None
    supports_imdb: bool
    blocked_by_prowlarr: bool
    suggested_timeout_ms: int
    prowlarr: ProwlarrCounters
    sources: list[SourceView] = []  # who searched and grabbed, each on its own


class HourView(View):
    hour: datetime
    requests: int
    successes: int
    failures: int
    timeouts: int
    avg_ms: int | None
    min_ms: int | None
    max_ms: int | None
    p50_ms: int | None
    p95_ms: int | None
    results: int
    success_rate: float | None


class GlobalView(View):
    """The prowlarr_global_stats row. (Explicit names: msgspec's camel case would write `…24H`.)"""

    total_searches24h: int = msgspec.field(name="totalSearches24h")
    successful_searches24h: int = msgspec.field(name="successfulSearches24h")
    failed_searches24h: int = msgspec.field(name="failedSearches24h")
    timeout_searches24h: int = msgspec.field(name="timeoutSearches24h")
    avg_response_time24h: int | None = msgspec.field(name="avgResponseTime24h")
    p95_response_time24h: int | None = msgspec.field(name="p95ResponseTime24h")
    slowest_indexer: str | None
    slowest_indexer_avg_time: int | None
    most_reliable_indexer: str | None
    most_reliable_success_rate: float | None
    last_updated_at: datetime
