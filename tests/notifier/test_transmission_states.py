"""Transmission's states as the notifier reads them: what a tracker says is not a failed download."""

import pytest

from services.notifier.clients.transmission import _Torrent, item_of


@pytest.mark.parametrize(
    ("error", "done", "state"),
    [
        (0, 1.0, "completed"),
        (1, 1.0, "completed"),  # TR_STAT_TRACKER_WARNING: finished all the same, the media servers are told
        (2, 1.0, "completed"),  # TR_STAT_TRACKER_ERROR: the tracker's trouble, not the download's
        (2, 0.4, "downloading"),
        (3, 0.4, "failed"),  # TR_STAT_LOCAL_ERROR: the disk or the files — this one fails
    ],
)
def test_only_a_local_error_fails_a_download(error, done, state):
    torrent = _Torrent(
        hashString="A" * 40, name="Film.2001", status=6 if done >= 1 else 4, percentDone=done,
        downloadDir="/downloads", error=error, errorString="announce failed" if error else "",
    )  # fmt: skip
    item = item_of(torrent)
    assert item.state == state
    assert (item.final_path == "/downloads/Film.2001") == (state == "completed")
    assert (item.error is not None) == (state == "failed")
