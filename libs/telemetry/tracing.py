"""The OpenTelemetry tracer provider: OTLP/HTTP export when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.

One provider per process. Tests install theirs (with an in-memory exporter) before the services start;
`configure_tracing` then leaves it in place.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF


def configure_tracing(service: str, otlp_endpoint: str | None) -> TracerProvider | None:
    """Install a provider for `service` unless one is installed; returns the one this call installed."""
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return None
    # With nowhere to send spans, record none: they would cost a tenth of a millisecond each on hot paths
    # and be thrown away. Trace context still flows (trace ids in logs and headers), spans just are not kept.
    sampler = None if otlp_endpoint else ALWAYS_OFF
    provider = TracerProvider(resource=Resource.create({"service.name": service}), sampler=sampler)
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = otlp_endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    trace.set_tracer_provider(provider)
    return provider


def install_provider(processor: SpanProcessor, service: str = "chillproxy") -> TracerProvider:
    """Install a provider that hands every span to `processor` (tests: an in-memory exporter)."""
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    return provider


def tracer(service: str) -> trace.Tracer:
    """The tracer of one service: its name is the spans' instrumentation scope."""
    return trace.get_tracer(service)
