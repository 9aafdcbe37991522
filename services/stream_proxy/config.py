"""stream-proxy's own settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from libs.config import env_float, env_int
from libs.web.forwarded import DEFAULT_TRUSTED, IpNetwork, parse_networks


@dataclass(frozen=True)
class StreamConfig:
    public_url: str | None = None  # where players reach Chillproxy; else what the request itself says
    trusted_proxies: tuple[IpNetwork, ...] = field(default_factory=lambda: parse_networks(DEFAULT_TRUSTED))
    search_ttl_seconds: float = 1800.0  # a film's or episode's search results, shared by every user
    availability_ttl_seconds: float = 900.0  # TorBox's cache status of a hash (global, not per account)
    link_ttl_seconds: float = 2700.0  # a CDN link (TorBox opens it for an hour)
    search_budget_seconds: float = 8.0
    indexer_timeout_ms: int = 5000
    pool_timeout_seconds: float = 2.0
    memo_seconds: float = 30.0  # a finished stream list is reused in memory this long
    response_max_age: int = 300  # Stremio may keep a stream list this long; an empty one 60 s
    cache_namespace: str = ""  # a suffix of the NATS KV buckets: tests keep theirs apart

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> StreamConfig:
        return cls(
            public_url=(env.get("CHILLPROXY_PUBLIC_URL") or "").rstrip("/") or None,
            trusted_proxies=parse_networks(env.get("TRUSTED_PROXIES") or DEFAULT_TRUSTED),
            search_ttl_seconds=env_float(env, "STREAM_SEARCH_TTL_SECONDS", cls.search_ttl_seconds),
            availability_ttl_seconds=env_float(env, "STREAM_AVAILABILITY_TTL_SECONDS", cls.availability_ttl_seconds),
            link_ttl_seconds=env_float(env, "STREAM_LINK_TTL_SECONDS", cls.link_ttl_seconds),
            search_budget_seconds=env_float(env, "STREAM_SEARCH_BUDGET_SECONDS", cls.search_budget_seconds),
            indexer_timeout_ms=env_int(env, "STREAM_INDEXER_TIMEOUT_MS", cls.indexer_timeout_ms),
            memo_seconds=env_float(env, "STREAM_MEMO_SECONDS", cls.memo_seconds),
        )
