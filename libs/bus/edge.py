"""A service's NATS edge declared like its routes: a module-level list of what it answers, listens to and
consumes, each handler a plain function of (state, message). `subscribed` binds the list to the parts start-up
built (the same lifespan state the HTTP routes read as `request.state`) and undoes it all on exit.

    HANDLERS = [
        Answer(POOL_KEY_GET, get_key),                       # async def get_key(state, request) -> reply
        Listen(POOL_CACHE_INVALIDATE, invalidate),           # async def invalidate(state, broadcast) -> None
        Consume(subject=POOL_USAGE, durable="pool-allocator-usage", handler=store),  # (state, events) -> None
    ]
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import msgspec
from nats.aio.subscription import Subscription
from starlette.datastructures import State

from libs.schemas import BroadcastSubject, EventSubject, RequestSubject

from .client import Bus
from .jetstream import Consumer


class Answer(msgspec.Struct, frozen=True):
    """Request-reply: one replica of the service answers each request (its queue group)."""

    subject: RequestSubject
    handler: Callable[[State, Any], Awaitable[Any]]


class Listen(msgspec.Struct, frozen=True):
    """A broadcast: every process receives its own copy."""

    subject: BroadcastSubject
    handler: Callable[[State, Any], Awaitable[None]]


class Consume(msgspec.Struct, frozen=True, kw_only=True):
    """A JetStream durable consumer, shared by the service's replicas (each event handled by one of them)."""

    subject: EventSubject
    durable: str
    handler: Callable[[State, Sequence[Any]], Awaitable[None]]
    batch: int = 100
    fetch_timeout: float = 1.0
    workers: int = 1


Handler = Answer | Listen | Consume


class Subscribed:
    """What `subscribed` holds: the consumers by durable name (tests stop one to drive the durable themselves)."""

    def __init__(self) -> None:
        self.subscriptions: list[Subscription] = []
        self.consumers: dict[str, Consumer] = {}


@asynccontextmanager
async def subscribed(bus: Bus, handlers: Sequence[Handler], state: Mapping[str, object]) -> AsyncIterator[Subscribed]:
    parts = State(dict(state))
    live = Subscribed()
    try:
        for spec in handlers:
            if isinstance(spec, Answer):
                live.subscriptions.append(await bus.serve(spec.subject, partial(spec.handler, parts)))
            elif isinstance(spec, Listen):
                live.subscriptions.append(await bus.listen(spec.subject, partial(spec.handler, parts)))
            else:
                consumer = Consumer(
                    bus,
                    spec.subject,
                    spec.durable,
                    partial(spec.handler, parts),
                    batch=spec.batch,
                    fetch_timeout=spec.fetch_timeout,
                    workers=spec.workers,
                )
                live.consumers[spec.durable] = consumer
                consumer.start()
        yield live
    finally:
        await asyncio.gather(*(consumer.stop() for consumer in live.consumers.values()))
        for subscription in live.subscriptions:
            try:
                await subscription.unsubscribe()
            except Exception:  # the connection is already closed: nothing left to undo
                pass
