"""Outgoing HTTP: one httpx client per service, with a client span and `traceparent` on every call."""

from __future__ import annotations

import httpx
from opentelemetry.trace import SpanKind, Status, StatusCode

from libs.bus import inject
from libs.telemetry import tracer


class TracingTransport(httpx.AsyncBaseTransport):
    """Wraps a transport: a CLIENT span per request; the URL's query (it may hold API keys) is left out."""

    def __init__(self, inner: httpx.AsyncBaseTransport, service: str) -> None:
        self.inner = inner
        self.tracer = tracer(service)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        with self.tracer.start_as_current_span(
            f"{request.method} {url.host}",
            kind=SpanKind.CLIENT,
            attributes={
                "http.request.method": request.method,
                "server.address": url.host,
                "url.path": url.path,
            },
        ) as span:
            for name, value in inject().items():
                request.headers[name] = value
            try:
                response = await self.inner.handle_async_request(request)
            except httpx.HTTPError as error:
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
                raise
            span.set_attribute("http.response.status_code", response.status_code)
            if response.status_code >= 500:
                span.set_status(Status(StatusCode.ERROR))
            return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def http_client(
    service: str,
    *,
    timeout: float = 10.0,
    transport: httpx.AsyncBaseTransport | None = None,
    **kwargs,
) -> httpx.AsyncClient:
    """A client whose every call is traced; `transport` lets tests put a fake behind the spans."""
    inner = transport or httpx.AsyncHTTPTransport(retries=0)
    return httpx.AsyncClient(
        transport=TracingTransport(inner, service),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        **kwargs,
    )
