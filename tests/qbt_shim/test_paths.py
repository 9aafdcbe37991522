"""Confinement: nothing outside DOWNLOAD_ROOT can be named as a save path."""

import pytest

from services.qbt_shim.paths import PathRefused, confine, safe_name, safe_relative


def test_relative_and_absolute_paths_inside_are_accepted(tmp_path):
    root = tmp_path / "downloads"
    root.mkdir()
    assert confine(root, "tv-sonarr") == root / "tv-sonarr"
    assert confine(root, str(root / "movies")) == root / "movies"
    assert confine(root, "a/../b") == root / "b"


@pytest.mark.parametrize("wanted", ["..", "../elsewhere", "/etc", "/tmp", "a/../../x", "bad\x00name"])
def test_paths_leaving_the_root_are_refused(tmp_path, wanted):
    root = tmp_path / "downloads"
    root.mkdir()
    with pytest.raises(PathRefused):
        confine(root, wanted)


def test_a_symlink_pointing_out_is_refused(tmp_path):
    root = tmp_path / "downloads"
    root.mkdir()
    (root / "escape").symlink_to(tmp_path)
    with pytest.raises(PathRefused):
        confine(root, "escape/x")


def test_names_from_strangers_become_one_safe_segment():
    assert safe_name("../../etc") == ".._.._etc"
    assert safe_name("..") == "_"
    assert str(safe_relative("../a/./b/../c.mkv")) == "_/a/b/_/c.mkv"
