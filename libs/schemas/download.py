"""notifier's event: a tracked download in an external client changed state."""

from __future__ import annotations

from typing import Literal

from .base import Event

DownloadState = Literal["queued", "downloading", "paused", "completed", "failed", "removed"]


class DownloadStatus(Event, kw_only=True):
    """`download.status`: one tracked attempt's new state, as read from its client."""

    download_id: str
    client_id: str
    client_type: Literal["sabnzbd", "qbittorrent", "transmission", "nzbget"]
    title: str
    state: DownloadState
    progress: float = 0.0
    speed_bytes: int = 0
    eta_seconds: int | None = None
    final_path: str | None = None
    error: str | None = None
