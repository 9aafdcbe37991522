"""The fake TorBox answers as the reference says TorBox does; the TorBox client reads it right."""

import hashlib

import fastbencode
import httpx
import pytest

from libs.http import http_client
from libs.torbox import TorBoxClient, TorBoxError, retry_after_seconds
from tests.fakes.torbox import AccountTorrent, FakeTorBox, file_bytes
from tests.support.asgi import serving_fake

HASH = "a" * 40


@pytest.fixture
async def torbox():
    fake = FakeTorBox(general_limit_per_minute=20, create_limit_per_minute=3, download_seconds=0.3)
    fake.add_account("good-token")
    fake.add_torrent(HASH, "The.Matrix.1999.1080p", [("The.Matrix.1999.1080p.mkv", 300_000), ("sample.mkv", 1000)])
    fake.add_torrent("b" * 40, "Uncached.Show.S01", [("e1.mkv", 5000)], cached=False)
    async with serving_fake(fake):
        async with httpx.AsyncClient(base_url=fake.base_url) as client:
            yield fake, client


def auth(token="good-token"):
    return {"Authorization": f"Bearer {token}"}


async def test_bad_and_missing_tokens_are_401(torbox):
    _, client = torbox
    bad = await client.get("/v1/api/user/me", headers=auth("nope"))
    assert bad.status_code == 401 and bad.json() == {
        "success": False,
        "error": "BAD_TOKEN",
        "detail": "Invalid API token.",
        "data": None,
    }
    missing = await client.get("/v1/api/user/me")
    assert missing.status_code == 401 and missing.json()["error"] == "NO_AUTH"


async def test_user_me(torbox):
    _, client = torbox
    body = (await client.get("/v1/api/user/me", headers=auth())).json()
    assert body["success"] and body["data"]["plan"] == 2 and "email" in body["data"]


async def test_rate_limit_per_key_is_429_plain_text(torbox):
    _, client = torbox
    statuses = [(await client.get("/v1/api/user/me", headers=auth())).status_code for _ in range(21)]
    assert statuses[:20] == [200] * 20
    limited = await client.get("/v1/api/user/me", headers=auth())
    assert limited.status_code == 429 and limited.text == "rate limit exceeded" and limited.headers["retry-after"]


async def test_check_cached_get_and_post(torbox):
    _, client = torbox
    listed = await client.post(
        "/v1/api/torrents/checkcached?format=list&list_files=true",
        json={"hashes": [HASH, "b" * 40, "c" * 40]},
        headers=auth(),
    )
    (item,) = listed.json()["data"]
    assert item["hash"] == HASH and item["files"][0]["name"] == "The.Matrix.1999.1080p/The.Matrix.1999.1080p.mkv"
    by_object = await client.get(f"/v1/api/torrents/checkcached?hash={HASH},{'c' * 40}&format=object", headers=auth())
    assert list(by_object.json()["data"]) == [HASH] and "files" not in by_object.json()["data"][HASH]
    none = await client.get(f"/v1/api/torrents/checkcached?hash={'c' * 40}", headers=auth())
    assert none.json()["data"] is None


async def test_create_list_request_and_download_with_range(torbox):
    fake, client = torbox
    created = await client.post(
        "/v1/api/torrents/createtorrent", data={"magnet": f"magnet:?xt=urn:btih:{HASH.upper()}"}, headers=auth()
    )
    data = created.json()["data"]
    assert created.json()["detail"].startswith("Found Cached Torrent") and data["hash"] == HASH
    item = (
        await client.get(f"/v1/api/torrents/mylist?id={data['torrent_id']}&bypass_cache=true", headers=auth())
    ).json()
    assert item["data"]["download_finished"] and item["data"]["download_present"]
    link = await client.get(
        f"/v1/api/torrents/requestdl?token=good-token&torrent_id={data['torrent_id']}&file_id=0&zip_link=false"
    )
    url = link.json()["data"]
    assert url.startswith(fake.base_url + "/cdn/")
    async with httpx.AsyncClient() as cdn:
        whole = await cdn.get(url)
        part = await cdn.get(url, headers={"Range": "bytes=1000-1999"})
    assert whole.status_code == 200 and len(whole.content) == 300_000
    assert part.status_code == 206 and part.content == whole.content[1000:2000]
    assert part.headers["content-range"] == "bytes 1000-1999/300000"
    assert whole.content == file_bytes(HASH, "The.Matrix.1999.1080p/The.Matrix.1999.1080p.mkv", 0, 299_999)
    redirect = await client.get(
        f"/v1/api/torrents/requestdl?token=good-token&torrent_id={data['torrent_id']}&file_id=0&redirect=true"
    )
    assert redirect.status_code == 302 and redirect.headers["location"].startswith(fake.base_url + "/cdn/")


async def test_uncached_torrents_download_then_become_ready(torbox):
    _, client = torbox
    torrent = bencoded_torrent()
    created = await client.post(
        "/v1/api/torrents/createtorrent", files={"file": ("x.torrent", torrent)}, headers=auth()
    )
    torrent_id = created.json()["data"]["torrent_id"]
    assert (
        created.json()["data"]["hash"] == hashlib.sha1(fastbencode.bencode({b"name": b"x", b"length": 5})).hexdigest()
    )
    item = (await client.get(f"/v1/api/torrents/mylist?id={torrent_id}", headers=auth())).json()["data"]
    assert item["download_state"] == "downloading" and not item["download_finished"]
    not_ready = await client.get(f"/v1/api/torrents/requestdl?token=good-token&torrent_id={torrent_id}&file_id=0")
    assert not_ready.status_code == 400 and not_ready.json()["success"] is False


async def test_create_limits_and_bad_input(torbox):
    _, client = torbox
    bad = await client.post("/v1/api/torrents/createtorrent", data={"magnet": "magnet:?xt=urn:btih:zz"}, headers=auth())
    assert bad.status_code == 400 and bad.json()["error"] == "INVALID_OPTION"
    statuses = []
    for n in range(4):
        magnet = f"magnet:?xt=urn:btih:{n:040x}"
        statuses.append(
            (await client.post("/v1/api/torrents/createtorrent", data={"magnet": magnet}, headers=auth())).status_code
        )
    assert statuses == [200, 200, 429, 429]  # the first bad call counted too: 3 per minute at the edge


async def test_control_delete(torbox):
    _, client = torbox
    created = await client.post(
        "/v1/api/torrents/createtorrent", data={"magnet": f"magnet:?xt=urn:btih:{HASH}"}, headers=auth()
    )
    torrent_id = created.json()["data"]["torrent_id"]
    deleted = await client.post(
        "/v1/api/torrents/controltorrent", json={"torrent_id": torrent_id, "operation": "delete"}, headers=auth()
    )
    assert deleted.json()["success"]
    gone = await client.get(f"/v1/api/torrents/mylist?id={torrent_id}", headers=auth())
    assert gone.status_code == 200 and gone.json()["success"] and gone.json()["data"] is None  # as TorBox
    never = await client.get("/v1/api/torrents/mylist?id=987654", headers=auth())
    assert never.status_code == 404 and never.json()["error"] == "ITEM_NOT_FOUND"
    empty = await client.get("/v1/api/torrents/mylist", headers=auth())  # the account holds none now
    assert empty.status_code == 404


async def test_the_client_classifies_failures(torbox):
    fake, _ = torbox
    async with http_client("tests") as http:
        client = TorBoxClient(http, fake.base_url)
        me, elapsed = await client.me("good-token")
        assert me["plan"] == 2 and elapsed >= 0
        with pytest.raises(TorBoxError) as bad:
            await client.me("nope")
        assert bad.value.kind == "unauthorized" and bad.value.code == "BAD_TOKEN"
        fake.failing["good-token"] = 503
        with pytest.raises(TorBoxError) as down:
            await client.me("good-token")
        assert down.value.kind == "server_error"
        del fake.failing["good-token"]
        fake.garbage = True
        with pytest.raises(TorBoxError) as garbage:
            await client.me("good-token")
        assert garbage.value.code == "BAD_RESPONSE"
        unreachable = TorBoxClient(http, "http://127.0.0.1:9")
        with pytest.raises(TorBoxError) as network:
            await unreachable.me("good-token")
        assert network.value.kind == "network"


def bencoded_torrent() -> bytes:
    return fastbencode.bencode({b"announce": b"http://tracker", b"info": {b"name": b"x", b"length": 5}})


async def test_the_client_checks_the_cache_in_one_call(torbox):
    fake, _ = torbox
    async with http_client("tests") as http:
        client = TorBoxClient(http, fake.base_url)
        calls_before = len(fake.calls)
        cached = await client.check_cached("good-token", [HASH.upper(), "b" * 40, "c" * 40])
        assert len(fake.calls) == calls_before + 1
        assert list(cached) == [HASH]  # b… is known but not cached, c… unknown
        assert cached[HASH].files[0].name.endswith(".mkv") and cached[HASH].size == 301_000
        assert await client.check_cached("good-token", []) == {}


async def test_the_client_adds_lists_links_and_deletes(torbox):
    fake, _ = torbox
    fake.accounts["good-token"].active_limit = 0
    async with http_client("tests") as http:
        client = TorBoxClient(http, fake.base_url)
        added = await client.create_torrent("good-token", f"magnet:?xt=urn:btih:{HASH}")
        listed = await client.torrent("good-token", added["torrent_id"])
        assert listed.ready and listed.files[0].name.endswith("The.Matrix.1999.1080p.mkv")
        link = await client.request_download("good-token", listed.id, listed.files[0].id, user_ip="203.0.113.1")
        assert link.startswith(fake.base_url + "/cdn/") and "good-token" not in link
        data = fastbencode.bencode({b"info": {b"name": b"Q", b"length": 1, b"piece length": 16, b"pieces": b"0" * 20}})
        with pytest.raises(TorBoxError) as full:  # an uncached add past the account's active limit
            await client.create_torrent("good-token", torrent_file=data)
        assert full.value.code == "ACTIVE_LIMIT"
        await client.delete_torrent("good-token", listed.id)
        assert await client.torrents("good-token") == []
        with pytest.raises(TorBoxError) as missing:
            await client.delete_queued("good-token", 12345)
        assert missing.value.code == "ITEM_NOT_FOUND"


async def test_the_client_reads_an_empty_account_a_long_list_and_a_deleted_torrent(torbox):
    fake, _ = torbox
    account = fake.accounts["good-token"]
    async with http_client("tests") as http:
        client = TorBoxClient(http, fake.base_url)
        assert await client.torrents("good-token") == []  # TorBox's 404 for an account with none
        for n in range(2345):  # more than one page of 1000
            torrent_hash = hashlib.sha1(f"t{n}".encode()).hexdigest()
            fake.add_torrent(torrent_hash, f"T{n}", [("f.mkv", 10)])
            fake._next_id += 1
            account.torrents[fake._next_id] = AccountTorrent(fake._next_id, fake.catalogue[torrent_hash], 0, 0)
        listed = await client.torrents("good-token")
        assert len(listed) == 2345 and len({t.id for t in listed}) == 2345
        pages = [c for c in fake.calls if c[1].endswith("/mylist")]
        assert len(pages) == 4  # the first (404), then three pages
        first = listed[0].id
        await client.delete_torrent("good-token", first)
        with pytest.raises(TorBoxError) as gone:
            await client.torrent("good-token", first)
        assert (gone.value.code, gone.value.kind) == ("ITEM_NOT_FOUND", "client_error")


async def test_retry_after_as_seconds_or_as_a_date(torbox):
    fake, _ = torbox
    fake.retry_after_date = True
    async with http_client("tests") as http:
        client = TorBoxClient(http, fake.base_url)
        for _ in range(25):  # past the fake's 20 a minute for this endpoint
            try:
                await client.me("good-token")
            except TorBoxError as error:
                limited = error
                break
        assert limited.kind == "rate_limited" and 55 <= limited.retry_after <= 61
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: now
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
