"""Pure ASGI middleware: one server span and one log line per request, with the service bound.

Pure ASGI (not `BaseHTTPMiddleware`) so the context variables set here reach the endpoint. The log line
names the route template, never the raw path: Stremio configs in paths carry TorBox tokens.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from libs.bus import extract
from libs.telemetry import current_service, get_logger, tracer

log = get_logger("libs.web.request")


def route_templates(routes: Sequence[BaseRoute], prefix: str = "") -> dict[int, str]:
    """Each route's whole template, Mount prefixes included (a routed scope names only the innermost route,
    and its `root_path` holds the matched path itself — a Stremio config, a secret — not the template)."""
    templates: dict[int, str] = {}
    for route in routes:
        if isinstance(route, Mount):
            templates |= route_templates(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            templates[id(route)] = prefix + route.path
    return templates


def _route_template(scope: Scope, templates: dict[int, str]) -> str:
    route = scope.get("route")
    path = templates.get(id(route)) or getattr(route, "path", None)
    if path:
        return str(path)
    # No route matched: keep only the first segment, which names the service, not a secret.
    first = scope["path"].strip("/").split("/", 1)[0]
    return f"/{first}/…" if first else "/"


class RequestTelemetryMiddleware:
    def __init__(self, app: ASGIApp, service: str, routes: Sequence[BaseRoute] = ()) -> None:
        self.app = app
        self.service = service
        self.templates = route_templates(routes)
        self.tracer = tracer(service)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = current_service.set(self.service)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        status = 500
        started = time.perf_counter()
        try:
            with self.tracer.start_as_current_span(
                f"{scope['method']} {self.service}",
                context=extract(headers),
                kind=SpanKind.SERVER,
                attributes={"http.request.method": scope["method"]},
            ) as span:

                async def send_with_status(message: Message) -> None:
                    nonlocal status
                    if message["type"] == "http.response.start":
                        status = message["status"]
                    await send(message)

                try:
                    await self.app(scope, receive, send_with_status)
                finally:
                    route = _route_template(scope, self.templates)
                    span.update_name(f"{scope['method']} {route}")
                    span.set_attribute("http.route", route)
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                    if route != "/health":
                        log.info(
                            "request",
                            method=scope["method"],
                            route=route,
                            status=status,
                            duration_ms=round((time.perf_counter() - started) * 1000, 2),
                        )
        finally:
            current_service.reset(token)
