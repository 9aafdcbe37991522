"""indexer-stats' own settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from libs.config import env_float, env_int
from libs.db import Retention


@dataclass(frozen=True)
class StatsConfig:
    degraded_ms: int = 500
    down_ms: int = 2000
    degraded_success_rate: float = 95.0
    down_success_rate: float = 80.0
    window_searches: int = 50  # the sliding window: each indexer's last searches (within 24 h)
    refresh_seconds: float = 2.0  # 24 h counters, status, global figures, the ranking: after new searches
    idle_refresh_seconds: float = 60.0  # and this often regardless (the 24 h window moves, probes come due)
    percentile_seconds: float = 30.0  # hourly p50/p95 recomputed from the logs
    min_timeout_ms: int = 1500
    max_timeout_ms: int = 10000
    retention_days: int = 30
    prowlarr_poll_seconds: float = 60.0
    probe_after_seconds: float = 300.0  # a down indexer is tried again by one search after this long

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> StatsConfig:
        return cls(
            degraded_ms=env_int(env, "INDEXER_DEGRADED_MS", cls.degraded_ms),
            down_ms=env_int(env, "INDEXER_DOWN_MS", cls.down_ms),
            degraded_success_rate=env_float(env, "INDEXER_DEGRADED_SUCCESS_RATE", cls.degraded_success_rate),
            down_success_rate=env_float(env, "INDEXER_DOWN_SUCCESS_RATE", cls.down_success_rate),
            window_searches=env_int(env, "INDEXER_STATUS_WINDOW", cls.window_searches),
            refresh_seconds=env_float(env, "INDEXER_REFRESH_SECONDS", cls.refresh_seconds),
            retention_days=env_int(env, "INDEXER_RETENTION_DAYS", cls.retention_days),
            prowlarr_poll_seconds=env_float(env, "PROWLARR_POLL_SECONDS", cls.prowlarr_poll_seconds),
            probe_after_seconds=env_float(env, "INDEXER_PROBE_AFTER_SECONDS", cls.probe_after_seconds),
        )


def retention(config: StatsConfig) -> list[Retention]:
    days = config.retention_days
    return [
        Retention("prowlarr_search_logs", "timestamp", days),
        Retention("prowlarr_indexer_metrics", "hour_bucket", max(days, 365)),  # one row an indexer-hour
        Retention("prowlarr_indexer_logs", "timestamp", days),
        Retention("prowlarr_stats_history", "snapshot_at", days),
    ]
