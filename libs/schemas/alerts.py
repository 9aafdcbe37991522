"""Alerts: something broke at 2 a.m. (or mended), said once to the household's ntfy, Discord or webhook.

Every service raises them on `alert.raised` (through its outbox, so none is lost); the notifier decides
which are sent (one per subject per quiet period) and to which targets.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from .base import Event

AlertState = Literal["failing", "recovered"]


class Alert(Event, kw_only=True):
    """`alert.raised`: a subject (`pool-key:<id>`, `indexer:<id>`, `download:<id>`, `media-server:<name>`,
    `health:<service>`) failing or recovered. Its words are for a person; never a secret."""

    subject: Annotated[str, Meta(min_length=1, max_length=200)]
    state: AlertState
    title: Annotated[str, Meta(max_length=200)]
    message: Annotated[str, Meta(max_length=2000)]
    source: str  # the service that raised it
