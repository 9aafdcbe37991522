"""stream-proxy's own settings (`libs.config.service_settings` reads the ones that name a variable)."""

from __future__ import annotations

import msgspec
from msgspec import field

from libs.torbox import LINK_SECONDS


class StreamConfig(msgspec.Struct, frozen=True, kw_only=True):
    # where players reach Chillproxy; else what the request itself says (through a trusted proxy)
    public_url: str | None = field(default=None, name="CHILLPROXY_PUBLIC_URL")
    # a film's or episode's search results, shared by every user
    search_ttl_seconds: float = field(default=1800.0, name="STREAM_SEARCH_TTL_SECONDS")
    # TorBox's cache status of a hash (global, not per account)
    availability_ttl_seconds: float = field(default=900.0, name="STREAM_AVAILABILITY_TTL_SECONDS")
    link_ttl_seconds: float = field(default=LINK_SECONDS, name="STREAM_LINK_TTL_SECONDS")  # a CDN link
    search_budget_seconds: float = field(default=8.0, name="STREAM_SEARCH_BUDGET_SECONDS")
    indexer_timeout_ms: int = field(default=5000, name="STREAM_INDEXER_TIMEOUT_MS")
    # once most indexers have answered a first search, how long the others are waited for before the list goes
    # out (what they find later is kept for the next request)
    search_grace_seconds: float = field(default=1.0, name="STREAM_SEARCH_GRACE_SECONDS")
    pool_timeout_seconds: float = 2.0
    # a key the pool granted a device for listing streams, reused this long (the pool's invalidations drop it)
    pool_grant_seconds: float = field(default=20.0, name="STREAM_POOL_GRANT_SECONDS")
    memo_seconds: float = field(default=30.0, name="STREAM_MEMO_SECONDS")  # a finished list, in memory
    response_max_age: int = 300  # Stremio may keep a stream list this long; an empty one 60 s
    cache_namespace: str = ""  # a suffix of the NATS KV buckets: tests keep theirs apart

    def __post_init__(self) -> None:
        if self.public_url is not None:  # `https://host/` and `https://host` are the same place
            msgspec.structs.force_setattr(self, "public_url", self.public_url.rstrip("/") or None)
