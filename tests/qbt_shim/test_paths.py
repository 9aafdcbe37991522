"""Confinement: nothing outside DOWNLOAD_ROOT can be named as a save path; a root that cannot be written is
said by /health."""

import httpx
import pytest

from services.qbt_shim.app import build
from services.qbt_shim.paths import PathRefused, confine, safe_name, safe_relative
from tests.support.asgi import serving

from .conftest import SHIM_CONFIG, shim_settings


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


async def test_a_download_root_it_cannot_write_makes_health_say_so(tmp_path, fresh_dsn, nats_url, torbox):
    """The compose case: a folder the service's user cannot write. Root can write anywhere, so here the
    root sits under a regular file (no user can create anything there) — the service still starts."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings = shim_settings(tmp_path, fresh_dsn, nats_url, torbox, DOWNLOAD_ROOT=str(blocker / "downloads"))
    async with serving(build(settings, SHIM_CONFIG)) as base, httpx.AsyncClient(base_url=base) as client:
        health = await client.get("/health")
        assert health.status_code == 503
        check = health.json()["checks"]["download root"]
        assert check["ok"] is False and "is not writable by uid" in check["detail"] and "PUID" in check["detail"]
        blocker.unlink()  # the folder fixed while it runs: healthy at the next look
        health = await client.get("/health")
        assert health.status_code == 200 and health.json()["checks"]["download root"]["ok"] is True
