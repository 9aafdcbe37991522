"""qBittorrent states from what the shim knows: its own phase, TorBox's `download_state` while the torrent
is in the cloud, and the local download. Pure.

No state here makes Sonarr fail a download (qBittorrent's interface has no such state): a torrent TorBox
reports dead is `error`, which Sonarr shows as a warning; asking Sonarr or Radarr to search again is
`arr.py`'s business.
"""

from __future__ import annotations

UNKNOWN_ETA = 8640000  # qBittorrent's "infinity"

_CLOUD_WAITING = ("metadl", "checking", "allocating", "processing", "checkingresumedata", "moving")
_CLOUD_STALLED = ("stalled", "incomplete", "paused")
_CLOUD_DEAD = ("error", "failed", "missing", "expired", "dead")


def cloud_is_dead(download_state: str) -> bool:
    return download_state.strip().lower().startswith(_CLOUD_DEAD)


def qbt_state(phase: str, stopped: bool, cloud_state: str, *, queued_at_torbox: bool, stalled: bool) -> str:
    if phase == "completed":
        return "stoppedUP"
    if phase == "error":
        return "error"
    if stopped:
        return "stoppedDL"
    if phase == "queued":
        return "queuedDL"
    if phase == "submitted":
        return "queuedDL" if queued_at_torbox else "metaDL"
    if phase == "cloud":
        state = cloud_state.strip().lower()
        if state.startswith("queued"):
            return "queuedDL"
        if state.startswith(_CLOUD_WAITING):
            return "metaDL"
        if state.startswith(_CLOUD_STALLED):
            return "stalledDL"
        return "downloading"  # downloading, uploading, cached, completed-but-not-present, or anything new
    return "stalledDL" if stalled else "downloading"  # local


def progress(phase: str, cloud_progress: float, downloaded: int, size: int) -> float:
    """Across both halves of the work: TorBox's download, then ours (a cached torrent starts at half)."""
    if phase == "completed":
        return 1.0
    if phase in ("queued", "submitted", "error") and not downloaded:
        return 0.0
    local = downloaded / size if size > 0 else 0.0
    if phase == "cloud":
        return round(0.5 * max(0.0, min(1.0, cloud_progress)), 4)
    return round(min(0.9999, 0.5 + 0.5 * local), 4)
