"""The share figures Sonarr and Radarr decide removal by, for torrents the shim never seeds."""

from datetime import UTC, datetime, timedelta

import pytest

from services.qbt_shim.repository import TorrentRow
from services.qbt_shim.views import torrent_info

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PREFERENCES = {"max_ratio_enabled": False, "max_ratio": -1, "max_seeding_time_enabled": False}


def row(phase: str, ratio_limit: float = -2, seeding_limit: int = -2, completed_minutes_ago: int = 5) -> TorrentRow:
    return TorrentRow(**{
        "hash": "a" * 40, "name": "Film", "magnet": None, "category": "movies", "tags": "", "save_path": "/d/movies",
        "phase": phase, "stopped": False, "torbox_id": 1, "torbox_queued_id": None, "cloud_state": "",
        "cloud_progress": 1.0, "cloud_speed": 0, "cloud_eta": None, "size": 100, "error": None, "retry_at": None,
        "added_on": NOW - timedelta(hours=1), "downloaded": 100 if phase == "completed" else 0,
        "completion_on": NOW - timedelta(minutes=completed_minutes_ago) if phase == "completed" else None,
        "ratio_limit": ratio_limit, "seeding_time_limit": seeding_limit, "inactive_seeding_time_limit": -2,
    })  # fmt: skip


def sonarr_removes(info: dict) -> bool:
    """Sonarr's QBittorrent.cs gate (reference qbt_anchors §1.7): stopped/paused and a seed limit reached."""
    if info["state"] not in ("pausedUP", "stoppedUP"):
        return False
    if info["ratio_limit"] >= 0:
        if info["ratio_limit"] - info["ratio"] <= 0.001:
            return True
    elif info["ratio_limit"] == -2 and PREFERENCES["max_ratio_enabled"]:
        return PREFERENCES["max_ratio"] - info["ratio"] <= 0.001
    limit = info["seeding_time_limit"]
    return limit >= 0 and info["seeding_time"] >= limit * 60


@pytest.mark.parametrize(
    ("limits", "removed"),
    [
        ({}, True),  # the client left the limits global: the shim's limit (1) is reached at completion
        ({"ratio_limit": 2.5}, True),  # an indexer's seed ratio: the shim's sharing ended with TorBox seeding
        ({"ratio_limit": -1}, False),  # no limit asked: the client keeps the torrent
        ({"ratio_limit": -1, "seeding_limit": 30}, False),  # 30 minutes of seeding asked, 5 done
        ({"ratio_limit": -1, "seeding_limit": 30, "completed_minutes_ago": 31}, True),
    ],
)
def test_sonarr_removes_a_finished_torrent_when_its_limits_say_so(limits, removed):
    info = torrent_info(row("completed", **limits), None, NOW)
    assert sonarr_removes(info) is removed
    assert info["ratio_limit"] == (1 if "ratio_limit" not in limits else limits["ratio_limit"])


def test_an_unfinished_torrent_has_shared_nothing():
    info = torrent_info(row("local", ratio_limit=0.5), None, NOW)
    assert (info["ratio"], info["seeding_time"], sonarr_removes(info)) == (0, 0, False)
