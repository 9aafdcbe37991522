"""The NATS edge, beside the HTTP one (routes.py): each handler gets the parts start-up built (the state the
routes read as `request.state`) and a message the bus has already decoded, and calls one part."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from starlette.datastructures import State

from libs.bus import Answer, Consume, Listen
from libs.schemas import (
    POOL_CACHE_INVALIDATE,
    POOL_KEY_FAILURE,
    POOL_KEY_GET,
    POOL_STREAM_END,
    POOL_STREAM_START,
    POOL_USAGE,
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

if TYPE_CHECKING:
    from .app import PoolAllocator


def pool_of(state: State) -> PoolAllocator:
    return state.pool


async def get_key(state: State, request: PoolKeyRequest) -> PoolKeyReply:
    return await pool_of(state).allocator.get_key(request)  # a user id that is not a UUID: BadInput, 400


async def start_stream(state: State, request: StreamStart) -> StreamStartReply:
    return await pool_of(state).sessions.start(request)


async def end_stream(state: State, request: StreamEnd) -> StreamEndReply:
    return await pool_of(state).sessions.end(request)


async def invalidate(state: State, message: CacheInvalidation) -> None:
    await pool_of(state).invalidator.on_broadcast(message)


async def store_usage(state: State, events: Sequence[UsageEvent]) -> None:
    await pool_of(state).usage.store(events)


async def key_failures(state: State, reports: Sequence[KeyFailure]) -> None:
    await pool_of(state).health.on_reports(reports)


HANDLERS = [
    Answer(POOL_KEY_GET, get_key),
    Answer(POOL_STREAM_START, start_stream),
    Answer(POOL_STREAM_END, end_stream),
    Listen(POOL_CACHE_INVALIDATE, invalidate),
    Consume(subject=POOL_USAGE, durable="pool-allocator-usage", handler=store_usage, batch=500),
    Consume(subject=POOL_KEY_FAILURE, durable="pool-allocator-key-failures", handler=key_failures, batch=50),
]
