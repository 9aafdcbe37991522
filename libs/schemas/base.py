"""The base of every wire body: camelCase on the wire (as our HTTP APIs speak it), keyword-only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec


class Wire(msgspec.Struct, kw_only=True, rename="camel"):
    """Inter-service messages accept unknown fields so services can be upgraded one at a time. Every field
    is written, null included: the HTTP contracts share these bodies and promise every key."""


_ROW_IDS = uuid.UUID("6f1c1e38-5d0c-4a5e-9a55-2f4a8f5d0c11")


class Event(Wire, kw_only=True):
    """A JetStream event. `id` is the publish de-duplication id and the consumers' idempotency key."""

    id: str = msgspec.field(default_factory=lambda: uuid.uuid4().hex)
    at: datetime = msgspec.field(default_factory=lambda: datetime.now(UTC))

    @property
    def row_id(self) -> uuid.UUID:
        """The id as the primary key of the row a consumer keeps: our producers' ids are UUIDs; any other id
        maps to a UUID of its own, so a redelivered event still finds its row and is not counted twice."""
        try:
            return uuid.UUID(self.id)
        except ValueError:
            return uuid.uuid5(_ROW_IDS, self.id)


class ErrorBody(Wire, kw_only=True, omit_defaults=True):
    """The one error shape: HTTP 4xx/5xx bodies and NATS error replies."""

    error: str
    message: str
    field: str | None = None


class Body(msgspec.Struct, kw_only=True, rename="camel", forbid_unknown_fields=True):
    """An HTTP request body from outside: unknown fields are a mistake worth a 422."""


class View(msgspec.Struct, kw_only=True, rename="camel"):
    """An HTTP response body: every field present, null included."""
