"""qBittorrent's JSON for a torrent (`torrents/info`, `properties`, `files`), built from the stored row and
what the local downloader knows right now. Pure: the keys and value types are qBittorrent 4.5/5.1's, checked
against a real `qbittorrent-nox` in the tests.

Share limits: the shim never uploads — TorBox seeds in the cloud — so a finished torrent has done here all the
sharing it ever will. It reports the limits the client set (`torrents/add`, `setShareLimits`) and a ratio that
has reached them: ratio limit 1 when the client left it to the global one (-2), and a ratio of at least the
limit. Sonarr and Radarr (HasReachedSeedLimit: `ratio_limit >= 0 and ratio >= ratio_limit`) then move the
files on import and delete the torrent (`deleteFiles=true`) — a lower ratio would keep them from ever removing
it, and the download folder would fill. A client that asked for no limit (-1) gets none: it keeps the torrent.
The seeding time counts from completion, as TorBox's seeding does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from .repository import FileRow, TorrentRow
from .states import UNKNOWN_ETA, progress, qbt_state


@dataclass(frozen=True)
class Live:
    """The local downloader's view of one torrent: bytes on disk, bytes per second, and whether it stalls."""

    downloaded: int = 0
    speed: int = 0
    stalled: bool = False


def _epoch(moment: datetime | None, missing: int = 0) -> int:
    return int(moment.timestamp()) if moment is not None else missing


def content_path(row: TorrentRow) -> str:
    """`<save path>/<torrent name>`: the folder the files go in, never the save path itself."""
    return str(PurePosixPath(row.save_path) / row.name)


def magnet_of(row: TorrentRow) -> str:
    return row.magnet or f"magnet:?xt=urn:btih:{row.hash}"


@dataclass(frozen=True)
class Figures:
    state: str
    progress: float
    downloaded: int
    speed: int
    eta: int


def figures(row: TorrentRow, live: Live | None) -> Figures:
    downloaded = max(row.downloaded, live.downloaded if live else 0)
    size = row.size
    phase = row.phase
    state = qbt_state(
        phase,
        row.stopped,
        row.cloud_state,
        queued_at_torbox=row.torbox_queued_id is not None,
        stalled=bool(live and live.stalled),
    )
    done = progress(phase, row.cloud_progress, downloaded, size)
    speed = (live.speed if live else 0) if phase == "local" else (row.cloud_speed if phase == "cloud" else 0)
    eta = UNKNOWN_ETA
    if phase == "completed":
        eta = 0
    elif phase == "local" and speed > 0:
        eta = int((size - downloaded) / speed) + 1
    elif phase == "cloud" and row.cloud_eta is not None and row.cloud_eta >= 0:
        eta = int(row.cloud_eta)
    return Figures(state, done, downloaded if phase in ("local", "completed") else 0, speed, eta)


@dataclass(frozen=True)
class Sharing:
    ratio: float
    ratio_limit: float
    seeding_time: int  # seconds
    seeding_time_limit: int  # minutes, -2 global, -1 none
    inactive_seeding_time_limit: int

    @property
    def max_seeding_time(self) -> int:
        return max(self.seeding_time_limit, -1)

    @property
    def max_inactive_seeding_time(self) -> int:
        return max(self.inactive_seeding_time_limit, -1)


def sharing(row: TorrentRow, now: datetime) -> Sharing:
    ratio_limit = 1.0 if row.ratio_limit == -2 else row.ratio_limit  # the shim's own global limit: 1
    finished = row.phase == "completed"
    ratio = max(1.0, ratio_limit) if finished else 0.0
    seeding = int((now - row.completion_on).total_seconds()) if finished and row.completion_on else 0
    limits = row.seeding_time_limit, row.inactive_seeding_time_limit
    return Sharing(_whole(ratio), _whole(ratio_limit), max(0, seeding), *limits)


def _whole(value: float) -> float | int:
    """An integral ratio as qBittorrent's JSON writes it (`1`, not `1.0`)."""
    return int(value) if float(value).is_integer() else value


def torrent_info(row: TorrentRow, live: Live | None, now: datetime) -> dict[str, Any]:
    f = figures(row, live)
    share = sharing(row, now)
    size = row.size
    completed = size if row.phase == "completed" else min(size, int(f.progress * size))
    finished = row.phase == "completed"
    return {
        "added_on": _epoch(row.added_on),
        "amount_left": max(0, size - completed),
        "auto_tmm": False,
        "availability": -1 if finished else 0,
        "category": row.category,
        "comment": row.error or "",
        "completed": completed,
        "completion_on": _epoch(row.completion_on),
        "content_path": content_path(row),
        "dl_limit": 0,
        "dlspeed": f.speed,
        "download_path": "",
        "downloaded": f.downloaded,
        "downloaded_session": f.downloaded,
        "eta": f.eta,
        "f_l_piece_prio": False,
        "force_start": False,
        "has_metadata": row.phase not in ("queued", "submitted"),
        "hash": row.hash,
        "inactive_seeding_time_limit": share.inactive_seeding_time_limit,
        "infohash_v1": row.hash,
        "infohash_v2": "",
        "last_activity": _epoch(row.completion_on or row.added_on),
        "magnet_uri": magnet_of(row),
        "max_inactive_seeding_time": share.max_inactive_seeding_time,
        "max_ratio": share.ratio_limit,
        "max_seeding_time": share.max_seeding_time,
        "name": row.name,
        "num_complete": 0,
        "num_incomplete": 0,
        "num_leechs": 0,
        "num_seeds": 0,
        "popularity": 0,
        "priority": 0,
        "private": False,
        "progress": f.progress,
        "ratio": share.ratio,
        "ratio_limit": share.ratio_limit,
        "reannounce": 0,
        "root_path": content_path(row),
        "save_path": row.save_path,
        "seeding_time": share.seeding_time,
        "seeding_time_limit": share.seeding_time_limit,
        "seen_complete": _epoch(row.completion_on),
        "seq_dl": False,
        "size": size,
        "state": f.state,
        "super_seeding": False,
        "tags": ", ".join(sorted(t for t in row.tags.split(",") if t)),  # as qBittorrent writes them
        "time_active": max(0, int((now - row.added_on).total_seconds())),
        "total_size": size,
        "tracker": "",
        "trackers_count": 0,
        "up_limit": 0,
        "uploaded": 0,
        "uploaded_session": 0,
        "upspeed": 0,
    }


def properties(row: TorrentRow, live: Live | None, now: datetime) -> dict[str, Any]:
    f = figures(row, live)
    share = sharing(row, now)
    size = row.size
    return {
        "addition_date": _epoch(row.added_on),
        "comment": row.error or "",
        "completion_date": _epoch(row.completion_on, -1),
        "created_by": "",
        "creation_date": -1,
        "dl_limit": -1,
        "dl_speed": f.speed,
        "dl_speed_avg": f.speed,
        "download_path": "",
        "eta": f.eta,
        "hash": row.hash,
        "infohash_v1": row.hash,
        "infohash_v2": "",
        "is_private": False,
        "last_seen": -1,
        "name": row.name,
        "nb_connections": 0,
        "nb_connections_limit": 100,
        "peers": 0,
        "peers_total": 0,
        "piece_size": -1,
        "pieces_have": 0,
        "pieces_num": -1,
        "reannounce": 0,
        "save_path": row.save_path,
        "seeding_time": share.seeding_time,
        "seeds": 0,
        "seeds_total": 0,
        "share_ratio": share.ratio,
        "time_elapsed": max(0, int((now - row.added_on).total_seconds())),
        "total_downloaded": f.downloaded,
        "total_downloaded_session": f.downloaded,
        "total_size": size if size else -1,
        "total_uploaded": 0,
        "total_uploaded_session": 0,
        "total_wasted": 0,
        "up_limit": -1,
        "up_speed": 0,
        "up_speed_avg": 0,
    }


def files(row: TorrentRow, file_rows: list[FileRow]) -> list[dict[str, Any]]:
    return [
        {
            "availability": 1 if file.done else 0,
            "index": file.index,
            "is_seed": bool(file.done),
            "name": f"{row.name}/{file.path}",
            "piece_range": [0, 0],
            "priority": 1,
            "progress": 1 if file.done else (file.downloaded / file.size if file.size else 0),
            "size": file.size,
        }
        for file in file_rows
    ]


def preferences(root: Path, username: str, downloads_at_once: int) -> dict[str, Any]:
    """`app/preferences` as Sonarr and Radarr read it: no removal by ratio (they remove finished torrents
    themselves), queueing on, DHT on (magnets without trackers are then fine), the root as save path."""
    return {
        "save_path": str(root.resolve()),
        "temp_path_enabled": False,
        "temp_path": "",
        "create_subfolder_enabled": True,
        "start_paused_enabled": False,
        "auto_tmm_enabled": False,
        "max_ratio_enabled": False,
        "max_ratio": -1,
        "max_ratio_act": 0,
        "max_seeding_time_enabled": False,
        "max_seeding_time": -1,
        "max_inactive_seeding_time_enabled": False,
        "max_inactive_seeding_time": -1,
        "queueing_enabled": True,
        "max_active_downloads": downloads_at_once,
        "max_active_torrents": 100,
        "max_active_uploads": 0,
        "dht": True,
        "pex": False,
        "lsd": False,
        "web_ui_port": 8080,
        "web_ui_username": username,
        "locale": "en",
        "dl_limit": 0,
        "up_limit": 0,
    }
