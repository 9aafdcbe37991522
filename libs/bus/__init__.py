"""NATS for the services: typed request-reply, durable events, trace context in headers."""

from .client import ERROR_HEADER, Bus, HandlerError
from .edge import Answer, Consume, Handler, Listen, subscribed
from .errors import BusError, BusUnavailable, Retry
from .jetstream import Consumer, ensure_streams, publish
from .kv import KeyValueCache, kv_key
from .propagation import extract, inject

__all__ = [
    "ERROR_HEADER",
    "Answer",
    "Bus",
    "BusError",
    "BusUnavailable",
    "Consume",
    "Consumer",
    "Handler",
    "HandlerError",
    "KeyValueCache",
    "Listen",
    "Retry",
    "ensure_streams",
    "extract",
    "inject",
    "kv_key",
    "publish",
    "subscribed",
]
