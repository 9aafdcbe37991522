"""JetStream: streams declared idempotently, de-duplicated publishing, and durable pull consumers.

A consumer hands its handler a batch of decoded events; the batch is acknowledged when the handler returns,
put back with a delay when it says `Retry` or the database is away. An event that does not decode is
terminated (never redelivered) and logged; when a handler fails otherwise, each event of the batch is tried
alone, and one that still fails — bad data the database refuses at once, anything else after
`MAX_DELIVERIES` tries — is terminated with its reason logged: one bad message never blocks the ones behind
it, nor comes back every few seconds for ever.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Generic, TypeVar

import msgspec
import nats.errors
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind

from libs.db import DATABASE_AWAY
from libs.schemas import STREAMS, Event, EventSubject, StreamSpec
from libs.telemetry import current_service, get_logger

from .client import Bus
from .errors import BusUnavailable, Retry
from .propagation import extract, inject

Ev = TypeVar("Ev", bound=Event)
MAX_DELIVERIES = 5
# SQLSTATE classes of a refusal that no retry changes: 22 data exception, 23 integrity constraint violation
_REFUSED_DATA = ("22", "23")
_encoder = msgspec.json.Encoder()
log = get_logger("libs.bus.jetstream")


def _stream_config(spec: StreamSpec, replicas: int = 1) -> StreamConfig:
    return StreamConfig(
        num_replicas=replicas,
        name=spec.name,
        subjects=list(spec.subjects),
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        max_age=spec.max_age_seconds,
        duplicate_window=spec.duplicate_window_seconds,
    )


async def ensure_streams(bus: Bus, specs: Iterable[StreamSpec] | None = None, attempts: int = 6) -> None:
    """Create each stream, or bring an existing one to its declared configuration. Replicas starting
    together on a cluster ask at once, and a replicated stream takes a moment to create: an existing stream
    already as declared is left alone, and a JetStream that answers late is asked again."""
    for spec in specs if specs is not None else STREAMS.values():
        config = _stream_config(spec, bus.replicas)
        for attempt in range(attempts):
            try:
                await _ensure_stream(bus, spec, config)
                break
            except nats.errors.TimeoutError:
                if attempt == attempts - 1:
                    raise
                log.warning("JetStream slow to answer; asking again", stream=spec.name)
                await asyncio.sleep(0.5 * 2**attempt)


async def _ensure_stream(bus: Bus, spec: StreamSpec, config: StreamConfig) -> None:
    try:
        current = (await bus.js.stream_info(spec.name)).config
    except NotFoundError:
        try:
            await bus.js.add_stream(config)
            return
        except BadRequestError:  # another service created it between our two calls
            current = (await bus.js.stream_info(spec.name)).config
    declared = (config.subjects, config.max_age, config.duplicate_window, config.num_replicas)
    if (current.subjects, current.max_age, current.duplicate_window, current.num_replicas) != declared:
        await bus.js.update_stream(config)


async def publish(bus: Bus, subject: EventSubject[Ev], event: Ev, timeout: float = 2.0) -> None:
    """Store `event` durably; its `id` makes a repeated publish a no-op within the duplicate window."""
    await publish_encoded(bus, subject, _encoder.encode(event), event.id, timeout)


async def publish_encoded(bus: Bus, subject: EventSubject, body: bytes, event_id: str, timeout: float = 2.0) -> None:
    """`publish` of an event already encoded (an outbox keeps the bytes it will send)."""
    if not bus.connected:  # fail now rather than after the timeout: the caller keeps the event for later
        raise BusUnavailable(f"{subject.name}: not connected to NATS")
    with bus._tracer.start_as_current_span(
        f"publish {subject.name}",
        kind=SpanKind.PRODUCER,
        attributes={"messaging.system": "nats", "messaging.destination.name": subject.name},
    ):
        await bus.js.publish(
            subject.name, body, timeout=timeout, stream=subject.stream, headers=inject({"Nats-Msg-Id": event_id})
        )


class Consumer(Generic[Ev]):
    """A durable pull consumer running `handler` on batches until stopped."""

    def __init__(
        self,
        bus: Bus,
        subject: EventSubject[Ev],
        durable: str,
        handler: Callable[[Sequence[Ev]], Awaitable[None]],
        *,
        batch: int = 100,
        fetch_timeout: float = 1.0,
        ack_wait: float = 30.0,
        retry_delay: float = 2.0,
        workers: int = 1,
    ) -> None:
        self.bus = bus
        self.subject = subject
        self.durable = durable
        self.handler = handler
        self.batch = batch
        self.fetch_timeout = fetch_timeout
        self.ack_wait = ack_wait
        self.retry_delay = retry_delay
        self.workers = workers  # fetch loops on the one durable: one can write while another fetches
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self._tracer = bus._tracer

    def config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self.ack_wait,
            max_ack_pending=max(1000, self.batch * 4),
            filter_subject=self.subject.name,
        )

    def start(self) -> None:
        self._stopping.clear()
        self._tasks = [
            asyncio.create_task(self._run(), name=f"consume {self.subject.name} {self.durable} #{n}")
            for n in range(self.workers)
        ]

    async def stop(self) -> None:
        """Finish the batch in hand, then stop. Cancelling a fetch is not used to stop: on Python 3.11
        nats-py's fetch can swallow the cancellation (asyncio.wait_for), leaving the task running."""
        if not self._tasks:
            return
        self._stopping.set()
        running = asyncio.gather(*self._tasks)
        try:
            await asyncio.wait_for(asyncio.shield(running), self.fetch_timeout + 10)
        except TimeoutError:
            running.cancel()
        except asyncio.CancelledError:
            running.cancel()
            raise
        self._tasks = []

    async def _run(self) -> None:
        token = current_service.set(self.bus.service)
        try:
            while not self._stopping.is_set():
                try:
                    await self._consume()
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # the connection or the consumer went away: start again
                    outage = isinstance(error, (nats.errors.Error, *DATABASE_AWAY))
                    log.warning(
                        "consumer restarting",
                        subject=self.subject.name,
                        error=repr(error),
                        exc_info=not outage and error,
                    )
                    try:
                        await asyncio.wait_for(self._stopping.wait(), self.retry_delay)
                    except TimeoutError:
                        pass
        finally:
            current_service.reset(token)

    async def _consume(self) -> None:
        subscription = await self.bus.js.pull_subscribe(
            self.subject.name, durable=self.durable, stream=self.subject.stream, config=self.config()
        )
        try:
            while not self._stopping.is_set():
                try:
                    messages = await subscription.fetch(self.batch, timeout=self.fetch_timeout)
                except TimeoutError:  # nats' own and the plain asyncio one fetch also raises: nothing came
                    continue
                await self.process(messages)
        finally:
            try:
                await subscription.unsubscribe()
            except nats.errors.Error:
                pass

    async def process(self, messages: Sequence[Msg]) -> None:
        """Decode, run the handler once for the batch, then settle every message."""
        events: list[Ev] = []
        accepted: list[Msg] = []
        for msg in messages:
            try:
                events.append(self.subject.decoder.decode(msg.data))
                accepted.append(msg)
            except msgspec.DecodeError as error:
                log.error("event terminated: does not decode", subject=self.subject.name, error=str(error))
                await msg.term()
        if not events:
            return
        contexts = [trace.get_current_span(extract(m.headers)).get_span_context() for m in accepted]
        with self._tracer.start_as_current_span(
            f"process {self.subject.name}",
            context=extract(accepted[0].headers),
            kind=SpanKind.CONSUMER,
            links=[Link(c) for c in contexts if c.is_valid],
            attributes={"messaging.system": "nats", "messaging.batch.message_count": len(events)},
        ):
            await self._handle(events, accepted)

    async def _handle(self, events: list[Ev], messages: list[Msg]) -> None:
        try:
            await self.handler(events)
        except Retry as retry:
            await _nak_all(messages, retry.delay)
            return
        except DATABASE_AWAY as error:
            log.warning("events wait for the database", subject=self.subject.name, error=type(error).__name__)
            await _nak_all(messages, self.retry_delay)
            return
        except Exception as error:
            if len(events) > 1:  # which one? each alone (handlers are idempotent on the event id)
                for event, msg in zip(events, messages, strict=True):
                    await self._handle([event], [msg])
                return
            await self._failed(events[0], messages[0], error)
            return
        for msg in messages:
            await msg.ack()

    async def _failed(self, event: Ev, msg: Msg, error: Exception) -> None:
        refused = str(getattr(error, "sqlstate", "") or "")[:2] in _REFUSED_DATA
        delivered = _deliveries(msg)
        if refused or delivered >= MAX_DELIVERIES:
            log.error(
                "event terminated: it cannot be handled",
                subject=self.subject.name,
                event_id=event.id,
                deliveries=delivered,
                reason=f"{type(error).__name__}: {error}"[:300],
                exc_info=error,
            )
            await msg.term()
        else:
            log.warning(
                "event handler failed; the event will be redelivered",
                subject=self.subject.name,
                event_id=event.id,
                deliveries=delivered,
                exc_info=error,
            )
            await msg.nak(delay=self.retry_delay)


def _deliveries(msg: Msg) -> int:
    try:
        return msg.metadata.num_delivered
    except Exception:  # not a JetStream message (a test's): once
        return 1


async def _nak_all(messages: Sequence[Msg], delay: float) -> None:
    for msg in messages:
        await msg.nak(delay=delay)
