"""The same calls against Debian's real qBittorrent and against the shim: every answer Sonarr, Radarr,
Homepage or Homarr read has the same status, the same keys and the same JSON types.

Documented exceptions (reference: qbt_anchors):
- versions: qBittorrent 4.5.2 says v4.5.2 / 2.8.19, the shim says v5.1.4 / 2.11.4 (so Sonarr sends `stopped`
  and reads `content_path`): only their form is compared.
- `torrents/delete` without `deleteFiles`: qBittorrent 4.5 and 5 answer 400; Sonarr leaves it out when it
  keeps the data, so the shim takes a missing `deleteFiles` as false.
- the shim's JSON may hold keys qBittorrent 5 added (`has_metadata`, `private`, `comment`, …): extra keys are
  allowed, missing ones are not.
- states: a stopped torrent is `pausedDL` in 4.5 and `stoppedDL` in 5.x (the shim's version).
"""

import re

import httpx
import pytest

from tests.fakes.catalogue import torrent_file
from tests.support.qbittorrent import PASSWORD as QBT_PASSWORD
from tests.support.qbittorrent import USERNAME, qbittorrent_nox

from .conftest import MOVIE, PASSWORD, magnet

SONARR_PREFERENCES = (
    "save_path",
    "max_ratio_enabled",
    "max_ratio",
    "max_seeding_time_enabled",
    "max_seeding_time",
    "max_ratio_act",
    "queueing_enabled",
    "dht",
)


def kind(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object" if isinstance(value, dict) else "null"


def same_shape(real: dict, ours: dict, where: str) -> None:
    missing = sorted(set(real) - set(ours))
    assert not missing, f"{where}: keys qBittorrent has and the shim lacks: {missing}"
    wrong = {k: (kind(real[k]), kind(ours[k])) for k in real if kind(real[k]) != kind(ours[k])}
    assert not wrong, f"{where}: types differ (qBittorrent, shim): {wrong}"


@pytest.fixture
async def pair(tmp_path, shim):
    with qbittorrent_nox(tmp_path / "qbittorrent") as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as real:
            yield real, shim.client, shim


async def both(pair, method: str, path: str, **kwargs) -> tuple[httpx.Response, httpx.Response]:
    real, ours, _ = pair
    return await real.request(method, path, **kwargs), await ours.request(method, path, **kwargs)


async def test_login_and_versions(pair):
    real, ours, shim = pair
    async with httpx.AsyncClient(base_url=shim.base) as anonymous:
        for client in (real, anonymous):
            response = await client.get("/api/v2/app/webapiVersion")
            assert (response.status_code, response.text) == (403, "Forbidden")
    bad = await real.post("/api/v2/auth/login", data={"username": USERNAME, "password": "wrong"})
    async with httpx.AsyncClient(base_url=shim.base) as anonymous:
        ours_bad = await anonymous.post("/api/v2/auth/login", data={"username": "admin", "password": "wrong"})
    assert (bad.status_code, bad.text) == (ours_bad.status_code, ours_bad.text) == (200, "Fails.")
    good = await real.post("/api/v2/auth/login", data={"username": USERNAME, "password": QBT_PASSWORD})
    ours_good = await ours.post("/api/v2/auth/login", data={"username": "admin", "password": PASSWORD})
    assert good.text == ours_good.text == "Ok."
    for response in (good, ours_good):
        # Debian's 4.5.2 leaves SameSite out; qBittorrent 5.x (whose version we report) sends SameSite=Strict
        assert re.match(r"SID=[^;]+; HttpOnly; (SameSite=Strict; )?path=/", response.headers["set-cookie"])
    version, webapi = (
        await both(pair, "GET", "/api/v2/app/version"),
        await both(pair, "GET", "/api/v2/app/webapiVersion"),
    )
    assert all(re.fullmatch(r"v\d+\.\d+\.\d+", r.text) for r in version)
    assert all(re.fullmatch(r"2\.\d+(\.\d+)?", r.text) for r in webapi)
    assert version[0].headers["content-type"] == version[1].headers["content-type"]


async def logged_in(pair) -> None:
    real = pair[0]
    await real.post("/api/v2/auth/login", data={"username": USERNAME, "password": QBT_PASSWORD})


async def test_the_json_sonarr_and_the_dashboards_read(pair):
    await logged_in(pair)
    prefs = await both(pair, "GET", "/api/v2/app/preferences")
    same_shape({k: prefs[0].json()[k] for k in SONARR_PREFERENCES}, prefs[1].json(), "app/preferences")

    added = await both(
        pair, "POST", "/api/v2/torrents/add", data={"urls": magnet(MOVIE), "category": "movies", "paused": "True"}
    )
    assert [r.text for r in added] == ["Ok.", "Ok."]
    info = await both(pair, "GET", "/api/v2/torrents/info", params={"category": "movies"})
    assert [len(r.json()) for r in info] == [1, 1]
    same_shape(info[0].json()[0], info[1].json()[0], "torrents/info")
    assert info[0].json()[0]["hash"] == info[1].json()[0]["hash"] == MOVIE[0]

    properties = await both(pair, "GET", "/api/v2/torrents/properties", params={"hash": MOVIE[0]})
    assert [r.status_code for r in properties] == [200, 200]
    same_shape(properties[0].json(), properties[1].json(), "torrents/properties")

    categories = await both(pair, "GET", "/api/v2/torrents/categories")
    same_shape(categories[0].json()["movies"], categories[1].json()["movies"], "torrents/categories")
    transfer = await both(pair, "GET", "/api/v2/transfer/info")
    same_shape(transfer[0].json(), transfer[1].json(), "transfer/info")
    unknown = await both(pair, "POST", "/api/v2/torrents/setCategory", data={"hashes": MOVIE[0], "category": "x"})
    assert [r.status_code for r in unknown] == [409, 409] and unknown[0].text == unknown[1].text
    moved = await both(pair, "POST", "/api/v2/torrents/setCategory", data={"hashes": MOVIE[0], "category": ""})
    assert [r.status_code for r in moved] == [200, 200]
    files = await both(pair, "GET", "/api/v2/torrents/files", params={"hash": MOVIE[0]})
    assert [r.status_code for r in files] == [200, 200]  # no metadata yet in qBittorrent: [] there


async def test_a_torrent_files_entries(pair, tmp_path):
    await logged_in(pair)
    data, torrent_hash = torrent_file("Conformance.Film.2001.720p.mkv", 5_000_000)
    added = await both(
        pair, "POST", "/api/v2/torrents/add", data={"paused": "true"}, files={"torrents": ("f.torrent", data, "x")}
    )
    assert [r.text for r in added] == ["Ok.", "Ok."]
    shim = pair[2]
    # the shim lists a file once TorBox has it; here it is enough to know qBittorrent's entry shape
    real_files = (await pair[0].get("/api/v2/torrents/files", params={"hash": torrent_hash})).json()
    row = await shim.app.state.shim.torrent(torrent_hash)
    entry = {"index": 0, "path": "Conformance.Film.2001.720p.mkv", "size": 5_000_000, "downloaded": 0, "done": False}
    from services.qbt_shim.views import files as file_view

    same_shape(real_files[0], file_view(row, [entry])[0], "torrents/files")


@pytest.mark.parametrize(
    ("method", "path", "fields"),
    [
        ("GET", "/api/v2/torrents/properties", {"hash": "f" * 40}),
        ("GET", "/api/v2/torrents/files", {"hash": "f" * 40}),
        ("GET", "/api/v2/torrents/properties", {}),
        ("GET", "/api/v2/torrents/add", {"urls": "magnet:?xt=urn:btih:" + "e" * 40}),
        ("POST", "/api/v2/torrents/add", {"urls": "not a magnet"}),
        ("POST", "/api/v2/torrents/delete", {"deleteFiles": "false"}),
        ("POST", "/api/v2/torrents/createCategory", {"category": ""}),
        ("POST", "/api/v2/torrents/editCategory", {"category": "unknown", "savePath": "x"}),
        ("POST", "/api/v2/torrents/setCategory", {"hashes": "f" * 40, "category": "unknown"}),
        ("POST", "/api/v2/torrents/topPrio", {"hashes": "f" * 40}),
        ("POST", "/api/v2/torrents/delete", {"hashes": "f" * 40, "deleteFiles": "false"}),
    ],
)
async def test_the_same_status_codes(pair, method, path, fields):
    await logged_in(pair)
    if method == "GET":
        real, ours = await both(pair, method, path, params=fields)
    else:
        real, ours = await both(pair, method, path, data=fields)
    assert real.status_code == ours.status_code, (path, real.text, ours.text)
    if path.endswith("/add") and method == "POST":
        assert real.text == ours.text == "Fails."


async def test_a_torrent_file_that_is_not_one_is_a_415_in_both(pair):
    await logged_in(pair)
    real, ours = await both(pair, "POST", "/api/v2/torrents/add", files={"torrents": ("x.torrent", b"garbage", "x")})
    assert real.status_code == ours.status_code == 415
    assert real.text == ours.text
