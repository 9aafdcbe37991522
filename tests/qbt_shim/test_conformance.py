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
- a share limit that is not a number: qBittorrent stores 0, the shim answers 400.
- `torrents/tags` is a set in qBittorrent (its order is its hash table's); the shim sorts it.
"""

import re

import httpx
import pytest

from tests.fakes.catalogue import torrent_file
from tests.support.qbittorrent import PASSWORD as QBT_PASSWORD
from tests.support.qbittorrent import USERNAME, qbittorrent_nox

from .conftest import EPISODE, MOVIE, PASSWORD, magnet

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
    row = await shim.app.state.shim.torrents.torrent(torrent_hash)
    from services.qbt_shim.repository import FileRow
    from services.qbt_shim.views import files as file_view

    entry = FileRow(
        index=0, path="Conformance.Film.2001.720p.mkv", size=5_000_000, torbox_file_id=0, downloaded=0, done=False
    )
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


async def test_a_torrent_already_there_fails_whatever_the_part_is_named(pair):
    await logged_in(pair)
    data, _ = torrent_file("Twice.Film.2002.mkv", 3_000_000)
    first = await both(pair, "POST", "/api/v2/torrents/add", data={"urls": magnet(MOVIE), "paused": "true"})
    assert [r.text for r in first] == ["Ok.", "Ok."]
    again = await both(pair, "POST", "/api/v2/torrents/add", data={"urls": magnet(MOVIE), "paused": "true"})
    assert [r.text for r in again] == ["Fails.", "Fails."]  # Sonarr and @ctrl/qbittorrent: the add failed
    for part in ("file", "torrent__1"):  # @ctrl/qbittorrent's and qbittorrent-api's part names
        upload = {part: ("t.torrent", data, "application/x-bittorrent")}
        added = await both(pair, "POST", "/api/v2/torrents/add", data={"paused": "true"}, files=upload)
        assert [r.text for r in added] == (["Ok.", "Ok."] if part == "file" else ["Fails.", "Fails."]), part
    one_new = {"urls": f"{magnet(MOVIE)}\n{magnet(EPISODE)}", "paused": "true"}
    assert [r.text for r in await both(pair, "POST", "/api/v2/torrents/add", data=one_new)] == ["Ok.", "Ok."]


async def test_tags_are_kept_until_deleted(pair):
    await logged_in(pair)
    tagged = {"urls": magnet(MOVIE), "tags": "one", "paused": "true"}
    added = await both(pair, "POST", "/api/v2/torrents/add", data=tagged)
    assert [r.text for r in added] == ["Ok.", "Ok."]
    calls = [
        ("createTags", {"tags": "two, three,,"}),
        ("addTags", {"hashes": MOVIE[0], "tags": "four"}),
        ("removeTags", {"hashes": MOVIE[0], "tags": "one"}),
        ("deleteTags", {"tags": "three,unknown"}),
    ]
    for call, fields in calls:
        answers = await both(pair, "POST", f"/api/v2/torrents/{call}", data=fields)
        assert [(r.status_code, r.text) for r in answers] == [(200, "")] * 2, call
    tags = await both(pair, "GET", "/api/v2/torrents/tags")
    assert [sorted(r.json()) for r in tags] == [["four", "one", "two"]] * 2
    info = await both(pair, "GET", "/api/v2/torrents/info", params={"hashes": MOVIE[0]})
    assert [r.json()[0]["tags"] for r in info] == ["four", "four"]
    await both(pair, "POST", "/api/v2/torrents/removeTags", data={"hashes": MOVIE[0]})  # no tags: all of them
    await both(pair, "POST", "/api/v2/torrents/delete", data={"hashes": MOVIE[0], "deleteFiles": "false"})
    tags = await both(pair, "GET", "/api/v2/torrents/tags")
    assert [sorted(r.json()) for r in tags] == [["four", "one", "two"]] * 2  # no torrent carries them: kept
    refused = await both(pair, "POST", "/api/v2/torrents/createTags", data={})
    assert [r.status_code for r in refused] == [400, 400]


async def test_share_limits_are_stored_and_reported(pair):
    await logged_in(pair)
    limits = {"ratioLimit": "3", "seedingTimeLimit": "120"}  # what Sonarr sends with an add (WebAPI >= 2.8.1)
    added = await both(pair, "POST", "/api/v2/torrents/add", data={"urls": magnet(MOVIE), "paused": "true"} | limits)
    assert [r.text for r in added] == ["Ok.", "Ok."]
    keys = ("ratio_limit", "seeding_time_limit", "max_ratio", "max_seeding_time")  # 4.5 has no inactive limit

    async def reported() -> list[dict]:
        info = await both(pair, "GET", "/api/v2/torrents/info", params={"hashes": MOVIE[0]})
        return [{k: r.json()[0][k] for k in keys} for r in info]

    real, ours = await reported()
    assert real == ours == {k: v for k, v in zip(keys, (3, 120, 3, 120), strict=True)}
    changed = {"hashes": MOVIE[0], "ratioLimit": "-1", "seedingTimeLimit": "30"}  # what setShareLimits sends
    assert [r.text for r in await both(pair, "POST", "/api/v2/torrents/setShareLimits", data=changed)] == ["", ""]
    real, ours = await reported()
    assert real == ours and ours["ratio_limit"] == -1 and ours["seeding_time_limit"] == 30
    for missing in ("ratioLimit", "seedingTimeLimit"):
        partial = {k: v for k, v in changed.items() if k != missing}
        answers = await both(pair, "POST", "/api/v2/torrents/setShareLimits", data=partial)
        assert [r.status_code for r in answers] == [400, 400], missing
