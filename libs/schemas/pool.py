"""pool-allocator's subjects: key requests, stream sessions, usage and key failures."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from .base import Event, Wire

# what `torbox_usage_logs` can hold: a value it would refuse is refused where it comes in
StreamType = Annotated[str, Meta(max_length=16)]
ByteCount = Annotated[int, Meta(ge=0, le=2**63 - 1)]
ShortText = Annotated[str, Meta(max_length=512)]


class PoolKeyRequest(Wire, kw_only=True):
    """`pool.key.get` and `POST /api/v1/internal/pool/get-key`."""

    user_id: str
    device_id: str
    action: str
    hash: str | None = None


class PoolKeyReply(Wire, kw_only=True):
    allowed: bool
    pool_key: str | None = None
    pool_key_id: str | None = None
    device_count: int = 0
    message: str = ""


class StreamStart(Wire, kw_only=True):
    """`pool.stream.start`: open a concurrency session on the user's key."""

    user_id: str
    pool_key_id: str
    device_id: str
    hash: str | None = None


class StreamStartReply(Wire, kw_only=True):
    allowed: bool
    session_id: str | None = None
    pool_key_id: str | None = None
    message: str = ""


class StreamEnd(Wire, kw_only=True):
    """`pool.stream.end`: close a concurrency session."""

    session_id: str


class StreamEndReply(Wire, kw_only=True):
    closed: bool


class UsageEvent(Event, kw_only=True):
    """`pool.usage` and `POST /api/v1/internal/pool/log-usage`: one `torbox_usage_logs` row."""

    user_id: str
    pool_key_id: str
    action: ShortText
    device_id: ShortText | None = None
    hash: ShortText | None = None
    cached: bool | None = None
    bytes: ByteCount | None = None
    imdb_id: ShortText | None = None
    stream_type: StreamType | None = None


class KeyFailure(Event, kw_only=True):
    """`pool.key.failure`: a TorBox call with this key failed; feeds the key's health."""

    pool_key_id: str
    status_code: int | None = None
    kind: Literal["unauthorized", "forbidden", "rate_limited", "server_error", "network"] = "server_error"
    message: str = ""


class CacheInvalidation(Wire, kw_only=True):
    """`pool.cache.invalidate`: every allocator process drops what it cached for these users or keys."""

    user_ids: list[str] = []
    pool_key_ids: list[str] = []
    everything: bool = False
