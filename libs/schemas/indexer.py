"""indexer-stats' subjects: one event per indexer per search, and the ranking question."""

from __future__ import annotations

from typing import Literal

from .base import Event, Wire

IndexerStatus = Literal["operational", "degraded", "down"]


class IndexerSearch(Event, kw_only=True):
    """`indexer.search`: how one indexer answered one search."""

    search_id: str
    indexer_id: int
    indexer_name: str | None = None
    query: str = ""
    imdb_id: str | None = None
    search_type: str = "search"
    duration_ms: int
    outcome: Literal["success", "failure", "timeout"]
    result_count: int = 0
    error_kind: str | None = None
    http_status: int | None = None
    source: str = "stream-proxy"  # who searched: stream-proxy, or an application through Prowlarr (Sonarr…)


class RankingRequest(Wire, kw_only=True):
    """`indexer.ranking.get`: which indexers to ask, best first."""

    protocol: Literal["torrent", "usenet"] | None = "torrent"


class RankedIndexer(Wire, kw_only=True):
    id: int
    name: str
    status: IndexerStatus
    timeout_ms: int
    supports_imdb: bool
    supports_tv_imdb: bool = False


class RankingReply(Wire, kw_only=True):
    indexers: list[RankedIndexer]
