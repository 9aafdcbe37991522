"""indexer-stats' own settings (`libs.config.service_settings` reads the ones that name a variable)."""

from __future__ import annotations

import msgspec
from msgspec import field

from libs.retention import Retention


class StatsConfig(msgspec.Struct, frozen=True, kw_only=True):
    degraded_ms: int = field(default=500, name="INDEXER_DEGRADED_MS")
    down_ms: int = field(default=2000, name="INDEXER_DOWN_MS")
    degraded_success_rate: float = field(default=95.0, name="INDEXER_DEGRADED_SUCCESS_RATE")
    down_success_rate: float = field(default=80.0, name="INDEXER_DOWN_SUCCESS_RATE")
    # the sliding window: each indexer's last searches (within 24 h)
    window_searches: int = field(default=50, name="INDEXER_STATUS_WINDOW")
    # 24 h counters, status, global figures, the ranking: after new searches
    refresh_seconds: float = field(default=2.0, name="INDEXER_REFRESH_SECONDS")
    idle_refresh_seconds: float = 60.0  # and this often regardless (the 24 h window moves, probes come due)
    percentile_seconds: float = 30.0  # hourly p50/p95 recomputed from the logs
    min_timeout_ms: int = 1500
    max_timeout_ms: int = 10000
    retention_days: int = field(default=30, name="INDEXER_RETENTION_DAYS")
    prowlarr_poll_seconds: float = field(default=60.0, name="PROWLARR_POLL_SECONDS")
    # a down indexer is tried again by one search after this long
    probe_after_seconds: float = field(default=300.0, name="INDEXER_PROBE_AFTER_SECONDS")


def retention(config: StatsConfig) -> list[Retention]:
    days = config.retention_days
    return [
        Retention("prowlarr_search_logs", "timestamp", days),
        Retention("prowlarr_grabs", "timestamp", days),
        Retention("prowlarr_indexer_metrics", "hour_bucket", max(days, 365)),  # one row an indexer-hour
        Retention("prowlarr_indexer_logs", "timestamp", days),
        Retention("prowlarr_stats_history", "snapshot_at", days),
    ]
