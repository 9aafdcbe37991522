"""structlog: JSON, one line per event, with `service`, `trace_id` and `span_id`.

Several services may share one process in tests, so the service name comes from a context variable that
each HTTP request and NATS handler sets, falling back to the process's own name.
"""

from __future__ import annotations

import logging
import re
import sys
from contextvars import ContextVar
from typing import IO, Any

import msgspec
import structlog
import structlog.tracebacks
from opentelemetry import trace

current_service: ContextVar[str | None] = ContextVar("current_service", default=None)
_process_service = "chillproxy"

# Keys whose values are never written: a secret passed by mistake is masked, not logged.
_SECRET_KEYS = frozenset(
    {
        "api_key",
        "apikey",
        "token",
        "password",
        "secret",
        "authorization",
        "pool_key",
        "secret_key",
        "x_api_key",
    }
)


def _add_service(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    event.setdefault("service", current_service.get() or _process_service)
    return event


def _add_trace_ids(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event["trace_id"] = format(context.trace_id, "032x")
        event["span_id"] = format(context.span_id, "016x")
    return event


# Secrets inside text: a URL's query (TorBox wants `token=` in its download calls, Prowlarr's links carry
# `apikey=`), a URL's password, a bearer token — as libraries (httpx's request lines) write them.
_SECRETS_IN_TEXT = (
    (re.compile(r"(?i)([?&;](?:token|api_?key|password|passwd|pass|secret|key)=)[^&#\s\"']+"), r"\1***"),
    (re.compile(r"(://[^/\s:@]*:)[^@/\s]+@"), r"\1***@"),
    (re.compile(r"(?i)(bearer\s+)[\w.~+/=-]+"), r"\1***"),
)


def mask_text(text: str) -> str:
    for pattern, replacement in _SECRETS_IN_TEXT:
        text = pattern.sub(replacement, text)
    return text


def _mask_secrets(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    for name, value in event.items():
        if name in _SECRET_KEYS:
            event[name] = "***"
        elif isinstance(value, str) and ("=" in value or "@" in value or "earer" in value):
            event[name] = mask_text(value)
    return event


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        _add_service,
        _add_trace_ids,
        _mask_secrets,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


# Tracebacks as structured JSON, without the frames' local variables: locals hold DSNs, keys and tokens.
_tracebacks = structlog.processors.ExceptionRenderer(structlog.tracebacks.ExceptionDictTransformer(show_locals=False))


def _encode(event: dict[str, Any], **_: Any) -> str:
    return msgspec.json.encode(event, enc_hook=str).decode()


def configure_logging(service: str, level: str = "info", stream: IO[str] | None = None) -> None:
    """Route structlog and the standard library (uvicorn, asyncpg, nats) to one JSON stream."""
    global _process_service
    _process_service = service
    out = stream or sys.stdout
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    structlog.configure(
        processors=[
            *_shared_processors(),
            _tracebacks,
            structlog.processors.JSONRenderer(serializer=_encode),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *_shared_processors()],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                _tracebacks,
                structlog.processors.JSONRenderer(serializer=_encode),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    # uvicorn's access log repeats what the request middleware already logs as one line.
    logging.getLogger("uvicorn.access").disabled = True


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
