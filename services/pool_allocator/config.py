"""pool-allocator's own settings, from the same merged environment as everything else."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from libs.config import env_float, env_int
from libs.db import Retention


@dataclass(frozen=True)
class PoolConfig:
    device_limit: int = 3
    device_window_days: int = 30
    cache_ttl_seconds: float = 60.0
    activity_flush_seconds: float = 30.0
    stream_ttl_minutes: int = 180
    session_sweep_seconds: float = 60.0
    health_interval_seconds: float = 300.0
    failing_after: int = 3  # consecutive failures
    degraded_failure_rate: float = 0.2  # over 24 h, once there are enough requests to judge
    degraded_min_requests: int = 5
    reclaim_idle_days: int = 3
    reclaim_interval_seconds: float = 3600.0
    bcrypt_rounds: int = 12
    log_retention_days: int = 30  # key health checks, finished stream sessions, job runs
    usage_retention_days: int = 365  # usage records (what /pool/usage sums)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PoolConfig:
        return cls(
            device_limit=env_int(env, "POOL_DEVICE_LIMIT", cls.device_limit),
            device_window_days=env_int(env, "POOL_DEVICE_WINDOW_DAYS", cls.device_window_days),
            cache_ttl_seconds=env_float(env, "POOL_CACHE_TTL_SECONDS", cls.cache_ttl_seconds),
            stream_ttl_minutes=env_int(env, "POOL_STREAM_TTL_MINUTES", cls.stream_ttl_minutes),
            health_interval_seconds=env_float(env, "POOL_HEALTH_INTERVAL_SECONDS", cls.health_interval_seconds),
            degraded_failure_rate=env_float(env, "POOL_DEGRADED_FAILURE_RATE", cls.degraded_failure_rate),
            reclaim_idle_days=env_int(env, "POOL_RECLAIM_IDLE_DAYS", cls.reclaim_idle_days),
            reclaim_interval_seconds=env_float(env, "POOL_RECLAIM_INTERVAL_SECONDS", cls.reclaim_interval_seconds),
            bcrypt_rounds=env_int(env, "POOL_BCRYPT_ROUNDS", cls.bcrypt_rounds),
            log_retention_days=env_int(env, "POOL_LOG_RETENTION_DAYS", cls.log_retention_days),
            usage_retention_days=env_int(env, "POOL_USAGE_RETENTION_DAYS", cls.usage_retention_days),
        )


def retention(config: PoolConfig) -> list[Retention]:
    days = config.log_retention_days
    return [
        Retention("torbox_pool_health", "timestamp", days),
        Retention("torbox_concurrency_log", "stream_started_at", days, only="stream_ended_at IS NOT NULL"),
        Retention("pool_job_runs", "started_at", days),
        Retention("torbox_usage_logs", "timestamp", config.usage_retention_days),
    ]
