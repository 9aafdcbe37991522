"""Logs (structlog, JSON) and traces (OpenTelemetry) for every service."""

from .logging import configure_logging, current_service, get_logger
from .tracing import configure_tracing, install_provider, tracer

__all__ = [
    "configure_logging",
    "configure_tracing",
    "current_service",
    "get_logger",
    "install_provider",
    "tracer",
]
