"""The NATS edge, beside the HTTP one (routes.py): qbt-shim's torrent events and every service's alerts, each
read by one durable consumer the notifier's replicas share. A finished torrent queues its media-server
refresh; a failed one is an alert; an alert is decided and queued for the targets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from starlette.datastructures import State

from libs.bus import Consume
from libs.schemas import ALERT_RAISED, TORRENT_STATUS, Alert, TorrentStatus

if TYPE_CHECKING:
    from .app import Notifier


def notifier_of(state: State) -> Notifier:
    return state.notifier


async def torrents_changed(state: State, events: Sequence[TorrentStatus]) -> None:
    notifier = notifier_of(state)
    await notifier.refresher.torrents_changed(events)
    await notifier.alerts.raised([alert for event in events if (alert := torrent_alert(event)) is not None])


def torrent_alert(event: TorrentStatus) -> Alert | None:
    """A qbt-shim download that failed (and one that completed after all: its failure, if told, is over)."""
    if event.state == "error":
        reason = event.error or "TorBox or the transfer gave up"
        return Alert(
            subject=f"download:{event.hash}", state="failing", title=f"Download failed: {event.name}",
            message=f"{event.name} ({event.category or 'no category'}) failed in qbt-shim: {reason}.",
            source="qbt-shim",
        )  # fmt: skip
    if event.state == "completed":
        return Alert(
            subject=f"download:{event.hash}", state="recovered", title=f"Download finished: {event.name}",
            message=f"{event.name} finished after all.", source="qbt-shim",
        )  # fmt: skip
    return None


async def alerts_raised(state: State, alerts: Sequence[Alert]) -> None:
    await notifier_of(state).alerts.raised(alerts)


HANDLERS = [
    Consume(subject=TORRENT_STATUS, durable="notifier-refresh", handler=torrents_changed, batch=200),
    Consume(subject=ALERT_RAISED, durable="notifier-alerts", handler=alerts_raised, batch=100),
]
