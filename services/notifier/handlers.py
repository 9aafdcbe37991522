"""The NATS edge, beside the HTTP one (routes.py): qbt-shim's torrent events, read by one durable consumer the
notifier's replicas share; a finished torrent queues its media-server refresh."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from starlette.datastructures import State

from libs.bus import Consume
from libs.schemas import TORRENT_STATUS, TorrentStatus

if TYPE_CHECKING:
    from .app import Notifier


def notifier_of(state: State) -> Notifier:
    return state.notifier


async def torrents_changed(state: State, events: Sequence[TorrentStatus]) -> None:
    await notifier_of(state).refresher.torrents_changed(events)


HANDLERS = [
    Consume(subject=TORRENT_STATUS, durable="notifier-refresh", handler=torrents_changed, batch=200),
]
