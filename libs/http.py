"""Outgoing HTTP: one httpx client per service, with a client span and `traceparent` on every call, and no
answer read past MAX_RESPONSE_BYTES — an upstream (or something posing as one) answering an endless body would
otherwise fill the service's memory. Every API we call answers far less; files are not fetched through it (the
downloader has its own connections, `.torrent` links their own smaller limit)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from opentelemetry.trace import SpanKind, Status, StatusCode

from libs.bus import inject
from libs.telemetry import tracer

MAX_RESPONSE_BYTES = 32 << 20


class ResponseTooLarge(httpx.ReadError):
    """An answer over the limit: an `httpx.HTTPError`, so every client turns it into its own upstream error."""


class _Bounded(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, limit: int, request: httpx.Request) -> None:
        self.inner = inner
        self.limit = limit
        self.request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        received = 0
        async for chunk in self.inner:
            received += len(chunk)
            if received > self.limit:
                raise ResponseTooLarge(f"answer larger than {self.limit} bytes", request=self.request)
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


class TracingTransport(httpx.AsyncBaseTransport):
    """Wraps a transport: a CLIENT span per request; the URL's query (it may hold API keys) is left out."""

    def __init__(self, inner: httpx.AsyncBaseTransport, service: str, max_bytes: int = MAX_RESPONSE_BYTES) -> None:
        self.inner = inner
        self.tracer = tracer(service)
        self.max_bytes = max_bytes

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
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                await response.aclose()
                span.set_status(Status(StatusCode.ERROR, "ResponseTooLarge"))
                raise ResponseTooLarge(f"answer of {declared} bytes, over {self.max_bytes}", request=request)
            response.stream = _Bounded(response.stream, self.max_bytes, request)
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
