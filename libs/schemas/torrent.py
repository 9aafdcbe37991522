"""qbt-shim's event: a torrent changed state."""

from __future__ import annotations

from typing import Literal

from .base import Event, Wire

TorrentState = Literal["queued", "downloading", "completed", "error", "deleted"]


class TorrentStatus(Event, kw_only=True):
    """`torrent.status`: published on every state change, with the finished files once completed."""

    hash: str
    name: str
    state: TorrentState
    category: str = ""
    content_path: str | None = None
    files: list[str] = []
    error: str | None = None


class WorkAvailable(Wire, kw_only=True):
    """`qbt.work`: files wait for a replica with room to download them (a torrent came down from TorBox, a
    replica let its files go): every qbt-shim replica looks now rather than at its next idle round."""

    files: int = 0
