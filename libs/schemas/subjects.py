"""Every NATS subject, its body types and, for events, the JetStream stream that keeps them: named once.

A subject object carries its own decoders, built once, so the edges decode typed Structs and the logic
behind them never sees bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

import msgspec

from .alerts import Alert
from .base import Event, Wire
from .download import DownloadStatus
from .indexer import IndexerSearch, RankingReply, RankingRequest
from .pool import (
    CacheInvalidation,
    KeyFailure,
    PoolKeyReply,
    PoolKeyRequest,
    StreamEnd,
    StreamEndReply,
    StreamStart,
    StreamStartReply,
    UsageEvent,
)
from .torrent import TorrentStatus, WorkAvailable

Req = TypeVar("Req", bound=Wire)
Rep = TypeVar("Rep", bound=Wire)
Ev = TypeVar("Ev", bound=Event)


@dataclass(frozen=True)
class RequestSubject(Generic[Req, Rep]):
    """A request-reply subject: one request type, one reply type."""

    name: str
    request: type[Req]
    reply: type[Rep]
    request_decoder: msgspec.json.Decoder = field(init=False, repr=False, compare=False)
    reply_decoder: msgspec.json.Decoder = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "request_decoder", msgspec.json.Decoder(self.request))
        object.__setattr__(self, "reply_decoder", msgspec.json.Decoder(self.reply))


@dataclass(frozen=True)
class StreamSpec:
    """A JetStream stream: its subjects and how long it keeps what nobody has acknowledged yet."""

    name: str
    subjects: tuple[str, ...]
    max_age_seconds: float = 7 * 24 * 3600
    duplicate_window_seconds: float = 120


@dataclass(frozen=True)
class EventSubject(Generic[Ev]):
    """A durable event subject, kept by `stream`."""

    name: str
    body: type[Ev]
    stream: str
    decoder: msgspec.json.Decoder = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "decoder", msgspec.json.Decoder(self.body))


@dataclass(frozen=True)
class BroadcastSubject(Generic[Req]):
    """Plain publish-subscribe: every subscriber gets every message; nothing is kept."""

    name: str
    body: type[Req]
    decoder: msgspec.json.Decoder = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "decoder", msgspec.json.Decoder(self.body))


POOL_KEY_GET = RequestSubject("pool.key.get", PoolKeyRequest, PoolKeyReply)
POOL_STREAM_START = RequestSubject("pool.stream.start", StreamStart, StreamStartReply)
POOL_STREAM_END = RequestSubject("pool.stream.end", StreamEnd, StreamEndReply)
INDEXER_RANKING_GET = RequestSubject("indexer.ranking.get", RankingRequest, RankingReply)

POOL_USAGE = EventSubject("pool.usage", UsageEvent, stream="POOL_USAGE")
POOL_KEY_FAILURE = EventSubject("pool.key.failure", KeyFailure, stream="POOL_KEY_FAILURE")
INDEXER_SEARCH = EventSubject("indexer.search", IndexerSearch, stream="INDEXER_SEARCH")
TORRENT_STATUS = EventSubject("torrent.status", TorrentStatus, stream="TORRENT_STATUS")
DOWNLOAD_STATUS = EventSubject("download.status", DownloadStatus, stream="DOWNLOAD_STATUS")
ALERT_RAISED = EventSubject("alert.raised", Alert, stream="ALERTS")

POOL_CACHE_INVALIDATE = BroadcastSubject("pool.cache.invalidate", CacheInvalidation)
QBT_WORK = BroadcastSubject("qbt.work", WorkAvailable)

REQUEST_SUBJECTS: tuple[RequestSubject, ...] = (
    POOL_KEY_GET,
    POOL_STREAM_START,
    POOL_STREAM_END,
    INDEXER_RANKING_GET,
)
EVENT_SUBJECTS: tuple[EventSubject, ...] = (
    POOL_USAGE,
    POOL_KEY_FAILURE,
    INDEXER_SEARCH,
    TORRENT_STATUS,
    DOWNLOAD_STATUS,
    ALERT_RAISED,
)
BROADCAST_SUBJECTS: tuple[BroadcastSubject, ...] = (POOL_CACHE_INVALIDATE, QBT_WORK)
STREAMS: dict[str, StreamSpec] = {
    subject.stream: StreamSpec(subject.stream, (subject.name,)) for subject in EVENT_SUBJECTS
}
