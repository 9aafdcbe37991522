"""The qBittorrent calls Sonarr and Radarr make, answered as qBittorrent answers them."""

import asyncio
import base64

import fastbencode

from tests.fakes.catalogue import torrent_file
from tests.support.asgi import eventually

from .conftest import EPISODE, MOVIE, magnet


async def test_versions_are_plain_text_and_preferences_what_sonarr_needs(shim):
    assert (await shim.client.get("/api/v2/app/version")).text == "v5.1.4"
    version = await shim.client.get("/api/v2/app/webapiVersion")
    assert version.text == "2.11.4" and version.headers["content-type"].startswith("text/plain")
    prefs = (await shim.client.get("/api/v2/app/preferences")).json()
    assert prefs["save_path"] == str(shim.root.resolve())
    # Sonarr must not think finished torrents are removed by ratio, and magnets need DHT
    assert (prefs["max_ratio_enabled"], prefs["max_ratio_act"], prefs["dht"], prefs["queueing_enabled"]) == (
        False, 0, True, True,
    )  # fmt: skip


async def test_an_add_is_answered_at_once_with_the_hash_the_client_computed(shim):
    base32 = base64.b32encode(bytes.fromhex(EPISODE[0])).decode()
    response = await shim.client.post(
        "/api/v2/torrents/add", data={"urls": f"magnet:?xt=urn:btih:{base32}&dn={EPISODE[1]}", "category": "tv-sonarr"}
    )
    assert response.text == "Ok."
    properties = await shim.client.get("/api/v2/torrents/properties", params={"hash": EPISODE[0]})
    assert properties.status_code == 200  # Sonarr asks right after the add
    listed = await shim.one(EPISODE[0])
    assert listed["hash"] == EPISODE[0] and listed["name"] == EPISODE[1] and listed["category"] == "tv-sonarr"
    assert listed["save_path"] == str(shim.root.resolve() / "tv-sonarr")
    assert listed["state"] in ("queuedDL", "metaDL", "downloading")
    categories = (await shim.client.get("/api/v2/torrents/categories")).json()
    assert categories["tv-sonarr"] == {"name": "tv-sonarr", "savePath": str(shim.root.resolve() / "tv-sonarr")}


async def test_torrent_files_in_a_multipart_form_and_true_false_booleans(shim):
    data, expected = torrent_file("Some.Film.2001.720p", 1234)
    response = await shim.client.post(
        "/api/v2/torrents/add",
        data={"category": "radarr", "stopped": "True"},
        files={"torrents": ("Some.Film.torrent", data, "application/octet-stream")},
    )
    assert response.text == "Ok."
    listed = await shim.one(expected)
    assert (listed["name"], listed["state"]) == ("Some.Film.2001.720p", "stoppedDL")
    bad = await shim.client.post("/api/v2/torrents/add", files={"torrents": ("x.torrent", b"not bencode", "x")})
    assert bad.status_code == 415 and "not a valid torrent file" in bad.text
    nothing = await shim.client.post("/api/v2/torrents/add", data={"urls": "not a magnet"})
    assert (nothing.status_code, nothing.text) == (200, "Fails.")
    assert fastbencode.bdecode(data)[b"info"][b"name"] == b"Some.Film.2001.720p"


async def test_status_codes_as_qbittorrent(shim):
    unknown = "f" * 40
    assert (await shim.client.get("/api/v2/torrents/properties", params={"hash": unknown})).status_code == 404
    assert (await shim.client.get("/api/v2/torrents/files", params={"hash": unknown})).status_code == 404
    assert (await shim.client.get("/api/v2/torrents/properties")).status_code == 400
    assert (await shim.client.get("/api/v2/torrents/add", params={"urls": magnet(MOVIE)})).status_code == 405
    assert (await shim.client.post("/api/v2/torrents/delete", data={})).status_code == 400
    assert (await shim.client.post("/api/v2/torrents/createCategory", data={"category": ""})).status_code == 400
    assert (await shim.client.post("/api/v2/torrents/createCategory", data={"category": "tv"})).status_code == 200
    assert (await shim.client.post("/api/v2/torrents/createCategory", data={"category": "tv"})).status_code == 409
    await shim.client.post("/api/v2/torrents/add", data={"urls": magnet(MOVIE)})
    wrong = await shim.client.post("/api/v2/torrents/setCategory", data={"hashes": MOVIE[0], "category": "nope"})
    assert wrong.status_code == 409
    for call in ("topPrio", "setForceStart"):  # Sonarr's calls after an add: accepted
        response = await shim.client.post(f"/api/v2/torrents/{call}", data={"hashes": MOVIE[0], "value": "true"})
        assert (response.status_code, response.text) == (200, ""), call
    limits = {"hashes": MOVIE[0], "ratioLimit": "2", "seedingTimeLimit": "-2"}  # as Sonarr sends them
    response = await shim.client.post("/api/v2/torrents/setShareLimits", data=limits)
    assert (response.status_code, response.text) == (200, "")
    for missing in ("ratioLimit", "seedingTimeLimit"):  # both required, as in qBittorrent
        partial = {k: v for k, v in limits.items() if k != missing}
        response = await shim.client.post("/api/v2/torrents/setShareLimits", data=partial)
        assert response.status_code == 400, missing
    response = await shim.client.post("/api/v2/torrents/setShareLimits", data=limits | {"ratioLimit": "lots"})
    assert response.status_code == 400  # qBittorrent would quietly store 0


async def test_categories_are_edited_and_removed_and_confined_to_the_download_root(shim):
    client = shim.client
    assert (
        await client.post("/api/v2/torrents/createCategory", data={"category": "movies", "savePath": "films"})
    ).status_code == 200
    assert (
        await client.post("/api/v2/torrents/editCategory", data={"category": "movies", "savePath": "cinema"})
    ).status_code == 200
    assert (await client.get("/api/v2/torrents/categories")).json()["movies"]["savePath"] == str(
        shim.root.resolve() / "cinema"
    )
    for outside in ("../elsewhere", "/etc"):
        refused = await client.post("/api/v2/torrents/createCategory", data={"category": "x", "savePath": outside})
        assert refused.status_code == 400, outside
        escaped = await client.post("/api/v2/torrents/add", data={"urls": magnet(MOVIE), "savepath": outside})
        assert escaped.status_code == 400 and (await shim.info()) == []
    assert (
        await client.post("/api/v2/torrents/editCategory", data={"category": "nope", "savePath": "x"})
    ).status_code == 409
    await client.post("/api/v2/torrents/add", data={"urls": magnet(MOVIE), "category": "movies"})
    await client.post("/api/v2/torrents/removeCategories", data={"categories": "movies"})
    assert "movies" not in (await client.get("/api/v2/torrents/categories")).json()
    assert (await shim.one(MOVIE[0]))["category"] == ""


async def test_info_filters_sorts_and_pages(shim):
    shim.torbox.down = True  # neither goes anywhere meanwhile: a finished one would be `stoppedUP`, and stopped
    for torrent, category, stopped in ((EPISODE, "tv", "false"), (MOVIE, "movies", "true")):
        await shim.client.post(
            "/api/v2/torrents/add", data={"urls": magnet(torrent), "category": category, "paused": stopped}
        )
    assert [t["hash"] for t in await shim.info(category="tv")] == [EPISODE[0]]
    assert [t["hash"] for t in await shim.info(filter="stopped")] == [MOVIE[0]]
    assert [t["hash"] for t in await shim.info(filter="paused")] == [MOVIE[0]]  # the 4.x name
    assert [t["name"] for t in await shim.info(sort="name", reverse="true")] == [EPISODE[1], MOVIE[1]]
    assert len(await shim.info(limit=1)) == 1 and len(await shim.info(offset=1)) == 1
    await shim.client.post("/api/v2/torrents/start", data={"hashes": "all"})
    assert (await shim.one(MOVIE[0]))["state"] != "stoppedDL"


async def test_torrent_links_are_answered_at_once_and_fetched_after(shim):
    """qBittorrent answers a URL add at once and downloads the .torrent afterwards: two links to a host that
    never answers hold the call no longer than any other, and a good link's torrent appears soon after."""
    data, expected = torrent_file("Linked.Film.2003.1080p", 4321)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        if b"/silent" in request.split(b"\r\n", 1)[0]:
            await asyncio.sleep(60)  # accepts, then says nothing
        else:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(data) + data)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        links = [f"http://127.0.0.1:{port}/silent/{n}.torrent" for n in range(2)] + [
            f"http://127.0.0.1:{port}/good.torrent"
        ]
        started = asyncio.get_running_loop().time()
        response = await shim.client.post("/api/v2/torrents/add", data={"urls": "\n".join(links), "category": "radarr"})
        assert response.text == "Ok." and asyncio.get_running_loop().time() - started < 2
        listed = await eventually(lambda: shim.info(hashes=expected), timeout=10)
        assert (listed[0]["name"], listed[0]["category"]) == ("Linked.Film.2003.1080p", "radarr")
        refused = await shim.client.post(
            "/api/v2/torrents/add", data={"urls": links[2], "savepath": "/etc"}
        )  # what a link's torrent would be refused for is said now
        assert refused.status_code == 400
    finally:
        server.close()
