"""notifier's own settings (`libs.config.service_settings` reads the ones that name a variable)."""

from __future__ import annotations

import msgspec
from msgspec import field

from libs.retention import Retention


class NotifierConfig(msgspec.Struct, frozen=True, kw_only=True):
    tick_seconds: float = 0.5  # the shortest pause between two rounds of media-server refreshes
    poll_seconds: float = field(default=30.0, name="NOTIFIER_POLL_SECONDS")  # the download clients are read
    health_watch_seconds: float = 15.0  # how often the services' heartbeats are read
    log_retention_days: int = 30  # refreshes done, downloads finished, webhook events and alerts received


def retention(config: NotifierConfig) -> list[Retention]:
    days = config.log_retention_days
    finished = "state IN ('completed', 'failed', 'removed')"
    return [
        Retention("notifier_refresh_log", "at", days),
        Retention("notifier_hook_events", "received_at", days),
        Retention("notifier_alerts", "accepted_at", days),
        Retention("notifier_downloads", "updated_at", days, only=finished),
    ]
