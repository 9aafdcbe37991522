"""Download clients and tracked downloads: secrets masked, connection tests against the real clients,
polling that follows each download to completion, publishes download.status and refreshes Jellyfin."""

import asyncio
import base64
from urllib.parse import urlsplit

import fastbencode
import httpx
import msgspec
import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from libs.schemas import DownloadStatus
from tests.fakes.sabnzbd import FakeSabnzbd
from tests.support.alerts import raised
from tests.support.asgi import eventually, serving, serving_fake
from tests.support.nzbget import PASSWORD as NZB_PASSWORD
from tests.support.nzbget import USERNAME as NZB_USERNAME
from tests.support.nzbget import nzbget_server
from tests.support.qbittorrent import PASSWORD as QBT_PASSWORD
from tests.support.qbittorrent import USERNAME as QBT_USERNAME
from tests.support.qbittorrent import qbittorrent_nox
from tests.support.seeded import seeded_torrent
from tests.support.transmission import PASSWORD as TR_PASSWORD
from tests.support.transmission import USERNAME as TR_USERNAME
from tests.support.transmission import transmission_daemon


async def add_client(notifier, **fields) -> dict:
    response = await notifier.client.post("/downloads/clients", json=fields)
    assert response.status_code == 201, response.text
    return response.json()


async def download_events(notifier) -> list[DownloadStatus]:
    state = (await notifier.bus.js.stream_info("DOWNLOAD_STATUS")).state
    found = []
    for seq in range(state.first_seq, state.last_seq + 1):
        try:
            found.append(
                msgspec.json.decode((await notifier.bus.js.get_msg("DOWNLOAD_STATUS", seq)).data, type=DownloadStatus)
            )
        except Exception:
            continue
    return found


async def test_clients_keep_their_secrets_and_refuse_bad_input(notifier):
    secret = "sab-secret-key-0000001"
    client = await add_client(notifier, type="sabnzbd", name="SAB", host="sab", port=8080, apiKey=secret)
    assert client["apiKey"].endswith(secret[-4:]) and secret not in str(client)
    patched = await notifier.client.patch(
        f"/downloads/clients/{client['id']}", json={"apiKey": client["apiKey"], "name": "SABnzbd"}
    )
    assert patched.json()["name"] == "SABnzbd" and patched.json()["apiKey"] == client["apiKey"]  # the mask keeps it
    for move in ({"port": 8081}, {"host": "elsewhere.example"}, {"useSsl": True}):
        # the stored key is never sent to another address unasked
        refused = await notifier.client.patch(
            f"/downloads/clients/{client['id']}", json={"apiKey": client["apiKey"]} | move
        )
        assert (refused.status_code, refused.json()["field"]) == (422, "apiKey"), move
    patched = await notifier.client.patch(f"/downloads/clients/{client['id']}", json={"apiKey": secret, "port": 8081})
    assert patched.json()["port"] == 8081 and patched.json()["apiKey"] == client["apiKey"]
    listed = (await notifier.client.get("/downloads/clients")).json()
    assert [c["id"] for c in listed] == [client["id"]] and secret not in str(listed)
    for body, field in [
        ({"type": "sabnzbd", "name": "x", "host": "h", "port": 1}, "apiKey"),
        ({"type": "deluge", "name": "x", "host": "h", "port": 1}, "type"),
        ({"type": "nzbget", "name": "x", "host": "h h", "port": 1}, "host"),
        ({"type": "nzbget", "name": "x", "host": "h", "port": 70000}, "port"),
    ]:
        response = await notifier.client.post("/downloads/clients", json=body)
        assert response.status_code == 422 and response.json()["field"] == field, (body, response.text)
    assert (await notifier.client.patch("/downloads/clients/not-a-uuid", json={})).status_code == 404
    assert (await notifier.client.post("/downloads", json={"clientId": client["id"]})).status_code == 422
    await notifier.client.post(f"/downloads/clients/{client['id']}/test")  # its adapter is made (and kept)
    adapters = notifier.app.state.notifier.downloads._adapters
    assert client["id"] in adapters
    assert (await notifier.client.delete(f"/downloads/clients/{client['id']}")).status_code == 204
    assert client["id"] not in adapters  # a deleted client's adapter (its session, connections) goes too
    assert (await notifier.client.delete(f"/downloads/clients/{client['id']}")).status_code == 404


async def test_real_qbittorrent_is_tested_and_a_checked_torrent_completes(notifier, tmp_path):
    await notifier.enable_both(coalesce=0.2)
    with qbittorrent_nox(tmp_path / "qbt") as url:
        port = urlsplit(url).port
        bad = await add_client(notifier, type="qbittorrent", name="qBittorrent", host="127.0.0.1", port=port,
                               username=QBT_USERNAME, password="wrong")  # fmt: skip
        refused = (await notifier.client.post(f"/downloads/clients/{bad['id']}/test")).json()
        assert refused["ok"] is False and "refused" in refused["error"] and "wrong" not in refused["error"]
        good = await add_client(notifier, type="qbittorrent", name="qBittorrent 2", host="127.0.0.1", port=port,
                                username=QBT_USERNAME, password=QBT_PASSWORD)  # fmt: skip
        assert (await notifier.client.post(f"/downloads/clients/{good['id']}/test")).json() == {
            "ok": True,
            "version": "v4.5.2",
        }

        torrent, info_hash, path = seeded_torrent(tmp_path / "seeded", "Seeded.Film.2020.mkv")
        async with httpx.AsyncClient(base_url=url) as qbt:
            await qbt.post("/api/v2/auth/login", data={"username": QBT_USERNAME, "password": QBT_PASSWORD})
            added = await qbt.post(
                "/api/v2/torrents/add",
                data={"savepath": str(path.parent)},
                files={"torrents": ("s.torrent", torrent, "x")},
            )
            assert added.text == "Ok."
        tracked = await notifier.client.post(
            "/downloads", json={"clientId": good["id"], "clientDownloadId": info_hash.upper()}
        )
        assert tracked.status_code == 201

        async def completed():
            (download,) = (await notifier.client.get("/downloads")).json()
            return download if download["state"] == "completed" else None

        download = await eventually(completed, timeout=30)
        assert download["finalPath"] == str(path) and download["progress"] == 1
        await eventually(lambda: notifier.jellyfin.calls, timeout=10)
        assert notifier.jellyfin.calls[0][2] == [str(path)]
        events = [e for e in await download_events(notifier) if e.download_id == download["id"]]
        assert events[-1].state == "completed" and events[-1].client_type == "qbittorrent"


async def test_real_transmission_by_title_and_a_client_that_is_down_does_not_stop_the_others(notifier, tmp_path):
    with transmission_daemon(tmp_path / "tr") as (port, downloads):
        client = await add_client(notifier, type="transmission", name="Transmission", host="127.0.0.1", port=port,
                                  username=TR_USERNAME, password=TR_PASSWORD)  # fmt: skip
        assert (await notifier.client.post(f"/downloads/clients/{client['id']}/test")).json()["ok"] is True
        dead = await add_client(notifier, type="transmission", name="Gone", host="127.0.0.1", port=1)
        torrent, _, path = seeded_torrent(downloads, "Seeded.Show.S01E01.mkv")
        async with httpx.AsyncClient(auth=(TR_USERNAME, TR_PASSWORD)) as rpc:
            rpc_url = f"http://127.0.0.1:{port}/transmission/rpc"
            session = (await rpc.post(rpc_url, json={"method": "session-get"})).headers["x-transmission-session-id"]
            body = {"method": "torrent-add", "arguments": {"metainfo": base64.b64encode(torrent).decode()}}
            added = await rpc.post(rpc_url, json=body, headers={"X-Transmission-Session-Id": session})
            assert added.json()["result"] == "success"
        await notifier.client.post("/downloads", json={"clientId": dead["id"], "title": "Anything"})
        await notifier.client.post("/downloads", json={"clientId": client["id"], "title": "Seeded Show S01E01 mkv"})

        async def completed():
            downloads_ = {d["clientId"]: d for d in (await notifier.client.get("/downloads")).json()}
            mine = downloads_[client["id"]]
            return mine if mine["state"] == "completed" else None

        download = await eventually(completed, timeout=30)
        assert download["finalPath"] == str(path) and download["clientDownloadId"]
        clients = {c["id"]: c for c in (await notifier.client.get("/downloads/clients")).json()}
        assert "could not be reached" in clients[dead["id"]]["lastError"]
        assert clients[client["id"]]["lastError"] is None
        health = (await notifier.client.get("/health")).json()
        assert health["status"] == "ok" and health["checks"]["download clients"]["ok"] is False
        assert health["checks"]["download clients"]["detail"].startswith("Gone: ")


def warning_tracker() -> Starlette:
    """A tracker that takes the announce and warns, as a private tracker does (`warning message`, BEP 3's
    optional key): Transmission then sets the torrent's `error` to 1, TR_STAT_TRACKER_WARNING."""

    async def announce(request):
        body = {b"interval": 1800, b"peers": b"", b"warning message": b"ratio below the site minimum"}
        return Response(fastbencode.bencode(body), media_type="text/plain")

    return Starlette(routes=[Route("/announce", announce)])


async def test_real_transmission_a_tracker_warning_is_no_failure(notifier, tmp_path):
    """Issue 13.5: a finished torrent whose tracker warns is completed, and the media servers are told."""
    await notifier.enable_both(coalesce=0.2)
    async with serving(warning_tracker()) as tracker:
        with transmission_daemon(tmp_path / "tr") as (port, downloads):
            client = await add_client(notifier, type="transmission", name="Transmission", host="127.0.0.1",
                                      port=port, username=TR_USERNAME, password=TR_PASSWORD)  # fmt: skip
            torrent, info_hash, path = seeded_torrent(downloads, "Warned.Film.2001.mkv", announce=f"{tracker}/announce")
            async with httpx.AsyncClient(auth=(TR_USERNAME, TR_PASSWORD)) as rpc:
                rpc_url = f"http://127.0.0.1:{port}/transmission/rpc"
                session = (await rpc.post(rpc_url, json={"method": "session-get"})).headers["x-transmission-session-id"]
                headers = {"X-Transmission-Session-Id": session}
                body = {"method": "torrent-add", "arguments": {"metainfo": base64.b64encode(torrent).decode()}}
                assert (await rpc.post(rpc_url, json=body, headers=headers)).json()["result"] == "success"

                async def warned():
                    asked = {"method": "torrent-get", "arguments": {"fields": ["error", "errorString", "percentDone"]}}
                    (state,) = (await rpc.post(rpc_url, json=asked, headers=headers)).json()["arguments"]["torrents"]
                    return state if state["error"] == 1 and state["percentDone"] == 1 else None

                state = await eventually(warned, timeout=30)  # the real daemon, warned by the real announce
                assert "ratio below" in state["errorString"]
            tracked = {"clientId": client["id"], "clientDownloadId": info_hash}
            assert (await notifier.client.post("/downloads", json=tracked)).status_code == 201

            async def completed():
                (download,) = (await notifier.client.get("/downloads")).json()
                return download if download["state"] == "completed" else None

            download = await eventually(completed, timeout=30)
            assert download["finalPath"] == str(path) and download["error"] is None
            await eventually(lambda: notifier.jellyfin.calls, timeout=10)
            assert notifier.jellyfin.calls[0][2] == [str(path)]


@pytest.fixture
async def sabnzbd():
    fake = FakeSabnzbd()
    async with serving_fake(fake):
        yield fake


async def test_sabnzbd_queue_post_processing_and_history(notifier, sabnzbd):
    port = urlsplit(sabnzbd.base_url).port
    wrong = await add_client(notifier, type="sabnzbd", name="SAB?", host="127.0.0.1", port=port, apiKey="wrong-key-1")
    assert "refused" in (await notifier.client.post(f"/downloads/clients/{wrong['id']}/test")).json()["error"]
    client = await add_client(notifier, type="sabnzbd", name="SAB", host="127.0.0.1", port=port, apiKey=sabnzbd.api_key)
    sabnzbd.add("SABnzbd_nzo_1", "Some.Show.S02E03.720p", mb=1000, left=250)
    sabnzbd.add("SABnzbd_nzo_2", "Broken.Film.2001", mb=500, left=500, status="Queued")
    for nzo in ("SABnzbd_nzo_1", "SABnzbd_nzo_2"):
        await notifier.client.post("/downloads", json={"clientId": client["id"], "clientDownloadId": nzo})

    async def states():
        return {d["clientDownloadId"]: d for d in (await notifier.client.get("/downloads")).json()}

    seen = await eventually(lambda: _when(states, lambda s: s["SABnzbd_nzo_1"]["state"] == "downloading"), timeout=10)
    assert seen["SABnzbd_nzo_1"]["progress"] == 0.75 and seen["SABnzbd_nzo_1"]["speedBytes"] == 2048 * 1024
    assert seen["SABnzbd_nzo_2"]["state"] == "queued"
    sabnzbd.finish("SABnzbd_nzo_1", status="Extracting")  # post-processing: in the history, not done yet
    notifier.app.state.notifier.poll_now()
    extracting = await eventually(lambda: _when(states, lambda s: s["SABnzbd_nzo_1"]["progress"] == 1), timeout=10)
    assert extracting["SABnzbd_nzo_1"]["state"] == "downloading" and extracting["SABnzbd_nzo_1"]["finalPath"] is None
    sabnzbd.history[0].update(status="Completed", storage="/downloads/complete/Some.Show.S02E03.720p")
    sabnzbd.finish("SABnzbd_nzo_2", status="Failed", fail_message="Out of retention")
    notifier.app.state.notifier.poll_now()
    done = await eventually(lambda: _when(states, lambda s: s["SABnzbd_nzo_2"]["state"] == "failed"), timeout=10)
    assert done["SABnzbd_nzo_1"]["state"] == "completed"
    assert done["SABnzbd_nzo_1"]["finalPath"] == "/downloads/complete/Some.Show.S02E03.720p"
    assert done["SABnzbd_nzo_2"]["error"] == "Out of retention"
    # the failure is an alert too, written with the change through the outbox
    (alert,) = await raised(notifier.bus, f"download:{done['SABnzbd_nzo_2']['id']}", 1)
    assert (alert.state, alert.title) == ("failing", "Download failed: Broken.Film.2001")
    assert "Out of retention" in alert.message and "SAB (sabnzbd)" in alert.message


async def _when(read, condition):
    value = await read()
    return value if condition(value) else None


NZB = (
    '<?xml version="1.0" encoding="utf-8"?>\n<nzb xmlns="http://www.newzbin.com/DTD/2003/nzb">'
    '<file poster="a" date="1" subject="Some.Show.S03E04 [1/1] - &quot;x.mkv&quot; yEnc (1/1)">'
    "<groups><group>alt.binaries.test</group></groups>"
    '<segments><segment bytes="1000" number="1">part1@example</segment></segments></file></nzb>'
)


async def test_real_nzbget_queue_then_history(notifier, tmp_path):
    with nzbget_server(tmp_path / "nzbget") as port:
        client = await add_client(notifier, type="nzbget", name="NZBGet", host="127.0.0.1", port=port,
                                  username=NZB_USERNAME, password=NZB_PASSWORD, category="tv")  # fmt: skip
        assert (await notifier.client.post(f"/downloads/clients/{client['id']}/test")).json() == {
            "ok": True,
            "version": "21.0",
        }
        async with httpx.AsyncClient(auth=(NZB_USERNAME, NZB_PASSWORD)) as rpc:
            url = f"http://127.0.0.1:{port}/jsonrpc"
            content = base64.b64encode(NZB.encode()).decode()
            params = ["Some.Show.S03E04.nzb", content, "tv", 0, False, True, "", 0, "SCORE", []]
            nzb_id = (await rpc.post(url, json={"method": "append", "params": params, "id": 1})).json()["result"]
            await notifier.client.post("/downloads", json={"clientId": client["id"], "title": "Some Show S03E04"})

            async def state(expected):
                (download,) = (await notifier.client.get("/downloads")).json()
                return download if download["state"] == expected else None

            paused = await eventually(lambda: state("paused"), timeout=15)
            assert paused["clientDownloadId"] == str(nzb_id)
            deleted = await rpc.post(
                url, json={"method": "editqueue", "params": ["GroupDelete", "", [nzb_id]], "id": 2}
            )
            assert deleted.json()["result"] is True
            removed = await eventually(lambda: state("removed"), timeout=15)
            assert "deleted" in removed["error"]


async def test_a_client_answering_garbage_is_skipped_and_said(notifier, sabnzbd):
    port = urlsplit(sabnzbd.base_url).port
    client = await add_client(notifier, type="sabnzbd", name="SAB", host="127.0.0.1", port=port, apiKey=sabnzbd.api_key)
    sabnzbd.add("SABnzbd_nzo_1", "Some.Film.2001", mb=100, left=50)
    await notifier.client.post("/downloads", json={"clientId": client["id"], "clientDownloadId": "SABnzbd_nzo_1"})
    sabnzbd.garbage = True

    async def said():
        (listed,) = (await notifier.client.get("/downloads/clients")).json()
        return listed["lastError"]

    assert "not SABnzbd's" in await eventually(said, timeout=10)
    (download,) = (await notifier.client.get("/downloads")).json()
    assert download["state"] == "queued"  # nothing read from the garbage
    assert (await notifier.client.get("/health")).json()["checks"]["download clients"]["ok"] is False


async def test_a_completion_and_its_refresh_are_stored_together(notifier, sabnzbd):
    """Were the completion stored and its refresh queued after, a crash between would leave the download
    completed and Jellyfin never told: the two commit in one transaction, or neither does."""
    await notifier.enable_both(coalesce=0.2)
    port = urlsplit(sabnzbd.base_url).port
    client = await add_client(notifier, type="sabnzbd", name="SAB", host="127.0.0.1", port=port, apiKey=sabnzbd.api_key)
    sabnzbd.add("SABnzbd_nzo_1", "Some.Film.2001", mb=100, left=50)
    await notifier.client.post("/downloads", json={"clientId": client["id"], "clientDownloadId": "SABnzbd_nzo_1"})

    async def state():
        (download,) = (await notifier.client.get("/downloads")).json()
        return download["state"]

    await eventually(lambda: _when(state, lambda s: s == "downloading"), timeout=10)
    db = notifier.app.state.notifier.refresher.db
    await db.execute("ALTER TABLE notifier_refresh_queue RENAME TO notifier_refresh_queue_away")
    sabnzbd.finish("SABnzbd_nzo_1", storage="/downloads/complete/Some.Film.2001")
    notifier.app.state.notifier.poll_now()
    await asyncio.sleep(1.5)  # several polls, each failing to queue the refresh
    assert await state() == "downloading"
    await db.execute("ALTER TABLE notifier_refresh_queue_away RENAME TO notifier_refresh_queue")
    await eventually(lambda: _when(state, lambda s: s == "completed"), timeout=10)
    told = await eventually(
        lambda: [c for c in notifier.jellyfin.calls if c[1] == "/Library/Media/Updated"] or None, timeout=10
    )
    assert told[0][2] == ["/downloads/complete/Some.Film.2001"]
