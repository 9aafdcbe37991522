"""W3C trace context in NATS headers: injected on every request and publish, extracted by every handler."""

from __future__ import annotations

from opentelemetry import propagate
from opentelemetry.context import Context


def inject(headers: dict[str, str] | None = None) -> dict[str, str]:
    """The headers to send, with `traceparent` (and `tracestate`) of the current span."""
    carrier = dict(headers or {})
    propagate.inject(carrier)
    return carrier


def extract(headers: dict[str, str] | None) -> Context:
    """The remote context a message carries; empty when it carries none."""
    return propagate.extract(headers or {})
