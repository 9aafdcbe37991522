"""pool-allocator's own settings (`libs.config.service_settings` reads the ones that name a variable)."""

from __future__ import annotations

import msgspec
from msgspec import field

from libs.retention import Retention


class PoolConfig(msgspec.Struct, frozen=True, kw_only=True):
    device_limit: int = field(default=3, name="POOL_DEVICE_LIMIT")
    device_window_days: int = field(default=30, name="POOL_DEVICE_WINDOW_DAYS")
    cache_ttl_seconds: float = field(default=60.0, name="POOL_CACHE_TTL_SECONDS")
    activity_flush_seconds: float = 30.0
    stream_ttl_minutes: int = field(default=180, name="POOL_STREAM_TTL_MINUTES")
    session_sweep_seconds: float = 60.0
    health_interval_seconds: float = field(default=300.0, name="POOL_HEALTH_INTERVAL_SECONDS")
    failing_after: int = 3  # consecutive failures
    # over 24 h, once there are enough requests to judge
    degraded_failure_rate: float = field(default=0.2, name="POOL_DEGRADED_FAILURE_RATE")
    degraded_min_requests: int = 5
    reclaim_idle_days: int = field(default=3, name="POOL_RECLAIM_IDLE_DAYS")
    reclaim_interval_seconds: float = field(default=3600.0, name="POOL_RECLAIM_INTERVAL_SECONDS")
    bcrypt_rounds: int = field(default=12, name="POOL_BCRYPT_ROUNDS")
    # key health checks, finished stream sessions, job runs
    log_retention_days: int = field(default=30, name="POOL_LOG_RETENTION_DAYS")
    usage_retention_days: int = field(default=365, name="POOL_USAGE_RETENTION_DAYS")  # what /pool/usage sums


def retention(config: PoolConfig) -> list[Retention]:
    days = config.log_retention_days
    return [
        Retention("torbox_pool_health", "timestamp", days),
        Retention("torbox_concurrency_log", "stream_started_at", days, only="stream_ended_at IS NOT NULL"),
        Retention("pool_job_runs", "started_at", days),
        Retention("torbox_usage_logs", "timestamp", config.usage_retention_days),
    ]
