"""The app factory every service uses: lifespan with the runtime, /health, JSON errors, body limit, telemetry."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from pathlib import Path

import msgspec
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from libs.bus.edge import Handler, subscribed
from libs.config import Settings
from libs.errors import DomainError
from libs.heartbeat import beat
from libs.runtime import Runtime, open_runtime
from libs.tasks import background

from .body import BodyLimitMiddleware
from .edge import EdgeRulesMiddleware
from .errors import domain_error_handler, http_exception_handler, internal_error_handler
from .telemetry import RequestTelemetryMiddleware

# Service-specific start-up: build the service's parts, subscribe handlers, start background tasks; what it
# yields (a mapping, or None) becomes lifespan state, read by the routes as `request.state.<name>`; undone
# when the context exits.
Setup = Callable[[Runtime], AbstractAsyncContextManager[Mapping[str, object] | None]]

_encoder = msgspec.json.Encoder()


def runtime_of(request: Request) -> Runtime:
    return request.state.runtime


def json_response(content: object, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Any msgspec-encodable value as JSON (Structs included)."""
    return Response(_encoder.encode(content), status_code, headers, media_type="application/json")


async def health(request: Request) -> Response:
    runtime = runtime_of(request)
    ok, checks = await runtime.health()
    body = {"status": "ok" if ok else "unavailable", "service": runtime.service, "checks": checks}
    return json_response(body, 200 if ok else 503)


def create_app(
    service: str,
    settings: Settings,
    *,
    routes: Sequence[BaseRoute] = (),
    migrations: Path | None = None,
    setup: Setup | None = None,
    handlers: Sequence[Handler] = (),
    max_body_bytes: int | None = None,
    middleware: Sequence[Middleware] = (),
) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, object]]:
        async with open_runtime(service, settings, migrations) as runtime:
            async with setup(runtime) if setup is not None else nullcontext() as state:
                parts = {**(state or {}), "runtime": runtime}
                # the NATS edge reads the same parts as the routes; unsubscribed before the parts stop
                async with subscribed(runtime.bus, handlers, parts) as nats_edge, background(beat(runtime)):
                    app.state.nats_edge = nats_edge  # for tests that drive a durable consumer themselves
                    # what start-up built lives as long as the process: out of the collector's sight, a full
                    # collection no longer walks it (it paused every request for tens of milliseconds)
                    gc.freeze()
                    yield parts

    every_route = [Route("/health", health, methods=["GET"]), *routes]
    app = Starlette(
        routes=every_route,
        middleware=[
            Middleware(RequestTelemetryMiddleware, service=service, routes=every_route),
            Middleware(BodyLimitMiddleware, max_bytes=max_body_bytes or settings.max_body_bytes),
            Middleware(EdgeRulesMiddleware),
            *middleware,
        ],
        exception_handlers={
            HTTPException: http_exception_handler,
            DomainError: domain_error_handler,
            Exception: internal_error_handler,
        },
        lifespan=lifespan,
    )
    return app
