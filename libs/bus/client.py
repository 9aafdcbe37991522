"""The NATS connection of one service: request-reply with typed bodies and trace context.

Framing (bytes, headers, error replies) lives here; handlers receive a decoded Struct and return one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import msgspec
import nats
import nats.errors
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from opentelemetry.trace import SpanKind, Status, StatusCode

from libs.errors import DomainError, status_of
from libs.schemas import BroadcastSubject, ErrorBody, RequestSubject, Wire
from libs.telemetry import current_service, get_logger, tracer

from .errors import BusError, BusUnavailable
from .propagation import extract, inject

Req = TypeVar("Req", bound=Wire)
Rep = TypeVar("Rep", bound=Wire)

ERROR_HEADER = "Chillproxy-Error"
_error_decoder = msgspec.json.Decoder(ErrorBody)
_encoder = msgspec.json.Encoder()
log = get_logger("libs.bus")


class HandlerError(Exception):
    """Raised by a request handler to answer with an error the caller should see."""

    def __init__(self, code: int, error: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.error = error
        self.message = message


class Bus:
    """One service's NATS connection. JetStream helpers are in `libs.bus.jetstream`."""

    def __init__(self, nc: NATS, service: str, replicas: int = 1) -> None:
        self.nc = nc
        self.service = service
        self.replicas = replicas  # copies of each stream and KV bucket in a cluster
        self.js = nc.jetstream()
        self._tracer = tracer(service)

    @classmethod
    async def connect(cls, url: str, service: str, *, attempt_timeout: float = 2.0, replicas: int = 1) -> Bus:
        """Connect, retrying until a server answers, then reconnect forever after any loss. `url` may name
        several servers of a cluster, comma-separated; `replicas` is how many of them keep each stream and
        bucket this service creates (NATS_REPLICAS)."""

        async def on_disconnect() -> None:
            log.warning("nats disconnected", service=service)

        async def on_reconnect() -> None:
            log.info("nats reconnected", service=service)

        async def on_error(error: Exception) -> None:
            log.debug("nats error", error=str(error), service=service)

        delay = 0.2
        while True:
            try:
                nc = await nats.connect(
                    servers=[server.strip() for server in url.split(",") if server.strip()],
                    name=service,
                    connect_timeout=attempt_timeout,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    allow_reconnect=True,
                    disconnected_cb=on_disconnect,
                    reconnected_cb=on_reconnect,
                    error_cb=on_error,
                )
                return cls(nc, service, replicas)
            except (nats.errors.NoServersError, OSError, TimeoutError) as error:
                log.warning("nats not reachable yet", url=_safe_url(url), error=str(error), service=service)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    @property
    def connected(self) -> bool:
        return self.nc.is_connected

    async def close(self) -> None:
        if not self.nc.is_closed:
            try:
                await self.nc.drain()
            except (nats.errors.Error, TimeoutError):  # closed, reconnecting, flush timed out: just close
                await self.nc.close()

    async def request(self, subject: RequestSubject[Req, Rep], body: Req, timeout: float = 1.0) -> Rep:
        """Ask and wait for the typed reply; `BusError` for an error reply, `BusUnavailable` for none."""
        with self._tracer.start_as_current_span(
            f"send {subject.name}",
            kind=SpanKind.CLIENT,
            attributes={"messaging.system": "nats", "messaging.destination.name": subject.name},
        ) as span:
            if not self.connected:  # while NATS is away every ask would wait its whole timeout: say so now
                span.set_status(Status(StatusCode.ERROR, "disconnected"))
                raise BusUnavailable(f"{subject.name}: not connected to NATS")
            try:
                msg = await self.nc.request(subject.name, _encoder.encode(body), timeout, headers=inject())
            except (
                nats.errors.NoRespondersError,
                nats.errors.TimeoutError,
                nats.errors.ConnectionClosedError,
            ) as e:
                span.set_status(Status(StatusCode.ERROR, type(e).__name__))
                raise BusUnavailable(f"{subject.name}: {type(e).__name__}") from e
            if msg.headers and ERROR_HEADER in msg.headers:
                error = _error_decoder.decode(msg.data)
                span.set_status(Status(StatusCode.ERROR, error.error))
                raise BusError(int(msg.headers[ERROR_HEADER]), error.error, error.message)
            return subject.reply_decoder.decode(msg.data)

    async def serve(
        self,
        subject: RequestSubject[Req, Rep],
        handler: Callable[[Req], Awaitable[Rep]],
        *,
        queue: str | None = None,
        concurrency: int = 64,
    ) -> Subscription:
        """Answer `subject` with `handler`; replicas share the work through a queue group.

        nats-py runs a subscription's callback one message at a time; each request is handled in a task of
        its own instead, at most `concurrency` at once (beyond that, the subscription waits: back-pressure).
        """
        in_flight = asyncio.Semaphore(concurrency)
        tasks: set[asyncio.Task[None]] = set()

        def done(task: asyncio.Task[None]) -> None:
            tasks.discard(task)
            in_flight.release()

        async def on_message(msg: Msg) -> None:
            await in_flight.acquire()
            task = asyncio.create_task(handle(msg))
            tasks.add(task)
            task.add_done_callback(done)

        async def handle(msg: Msg) -> None:
            token = current_service.set(self.service)
            try:
                with self._tracer.start_as_current_span(
                    f"process {subject.name}",
                    context=extract(msg.headers),
                    kind=SpanKind.SERVER,
                    attributes={"messaging.system": "nats", "messaging.destination.name": subject.name},
                ) as span:
                    code, payload = await self._answer(subject, handler, msg.data)
                    if code:
                        span.set_status(Status(StatusCode.ERROR, str(code)))
                    if msg.reply:
                        headers = {ERROR_HEADER: str(code)} if code else None
                        await self.nc.publish(msg.reply, payload, headers=headers)
            finally:
                current_service.reset(token)

        return await self.nc.subscribe(subject.name, queue=queue or self.service, cb=on_message)

    async def broadcast(self, subject: BroadcastSubject[Req], body: Req) -> None:
        """Tell every listener; nothing is kept for one that is not connected."""
        await self.nc.publish(subject.name, _encoder.encode(body), headers=inject())

    async def listen(self, subject: BroadcastSubject[Req], handler: Callable[[Req], Awaitable[None]]) -> Subscription:
        """Receive every broadcast on `subject` (no queue group: each process gets its own copy)."""

        async def on_message(msg: Msg) -> None:
            token = current_service.set(self.service)
            try:
                try:
                    body = subject.decoder.decode(msg.data)
                except msgspec.DecodeError as error:
                    log.error("broadcast ignored: does not decode", subject=subject.name, error=str(error))
                    return
                with self._tracer.start_as_current_span(
                    f"process {subject.name}", context=extract(msg.headers), kind=SpanKind.CONSUMER
                ):
                    await handler(body)
            except Exception:
                log.exception("broadcast handler failed", subject=subject.name)
            finally:
                current_service.reset(token)

        return await self.nc.subscribe(subject.name, cb=on_message)

    async def _answer(
        self, subject: RequestSubject[Req, Rep], handler: Callable[[Req], Awaitable[Rep]], data: bytes
    ) -> tuple[int, bytes]:
        """(0, reply) or (status, error body). Bad input is the caller's error; a crash is logged, not raised."""
        try:
            request = subject.request_decoder.decode(data)
        except msgspec.ValidationError as e:
            return 422, _encoder.encode(ErrorBody(error="invalid_message", message=str(e)))
        except msgspec.DecodeError:
            return 400, _encoder.encode(ErrorBody(error="malformed_message", message="body is not valid JSON"))
        try:
            return 0, _encoder.encode(await handler(request))
        except HandlerError as e:
            return e.code, _encoder.encode(ErrorBody(error=e.error, message=e.message))
        except DomainError as e:  # a refusal of the service's decisions: the same code the web would answer
            return status_of(e), _encoder.encode(ErrorBody(error=e.error, message=e.message, field=e.field))
        except Exception:
            log.exception("request handler failed", subject=subject.name)
            return 500, _encoder.encode(ErrorBody(error="internal", message="the handler failed; see its logs"))


def _safe_url(url: str) -> str:
    """The server URL (or the cluster's, comma-separated) without credentials, for logs."""
    if "," in url:
        return ",".join(_safe_url(part) for part in url.split(","))
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.rpartition('@')[2]}"
    return url
