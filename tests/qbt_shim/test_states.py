"""qBittorrent states from the shim's phase and TorBox's own words: nothing unknown becomes an error."""

import pytest

from services.qbt_shim.states import cloud_is_dead, progress, qbt_state


@pytest.mark.parametrize(
    ("phase", "stopped", "cloud", "queued_at_torbox", "stalled", "expected"),
    [
        ("queued", False, "", False, False, "queuedDL"),
        ("submitted", False, "", False, False, "metaDL"),
        ("submitted", False, "", True, False, "queuedDL"),
        ("cloud", False, "downloading", False, False, "downloading"),
        ("cloud", False, "metaDL", False, False, "metaDL"),
        ("cloud", False, "checkingResumeData", False, False, "metaDL"),
        ("cloud", False, "stalled (no seeds)", False, False, "stalledDL"),
        ("cloud", False, "incomplete", False, False, "stalledDL"),
        ("cloud", False, "queuedDL", False, False, "queuedDL"),
        ("cloud", False, "a state TorBox adds next year", False, False, "downloading"),
        ("local", False, "cached", False, False, "downloading"),
        ("local", False, "cached", False, True, "stalledDL"),
        ("local", True, "cached", False, False, "stoppedDL"),
        ("completed", True, "cached", False, False, "stoppedUP"),
        ("error", False, "failed", False, False, "error"),
    ],
)
def test_states(phase, stopped, cloud, queued_at_torbox, stalled, expected):
    assert qbt_state(phase, stopped, cloud, queued_at_torbox=queued_at_torbox, stalled=stalled) == expected


def test_only_torbox_failures_are_dead():
    assert cloud_is_dead("failed (no seeds)") and cloud_is_dead("error") and cloud_is_dead("missing")
    assert not any(cloud_is_dead(s) for s in ("downloading", "incomplete", "stalled (no seeds)", "paused", "new"))


def test_progress_runs_across_torbox_then_the_local_download():
    assert progress("queued", 0, 0, 100) == 0
    assert progress("cloud", 0.5, 0, 100) == 0.25
    assert progress("local", 1, 50, 100) == 0.75
    assert progress("local", 1, 100, 100) == 0.9999  # never 1 before the files are in place
    assert progress("completed", 1, 100, 100) == 1
