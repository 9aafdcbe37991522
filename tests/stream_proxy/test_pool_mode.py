"""Pool mode against the real pool-allocator: the key comes from the pool for this device, refusals are
entries that say why, and a play opens a stream session and is recorded as usage."""

import httpx
import pytest

from libs.db import create_pool
from libs.web.forwarded import client_ip, parse_networks
from services.pool_allocator.app import build as build_pool
from services.pool_allocator.config import PoolConfig
from services.stream_proxy.client import Client
from tests.conftest import make_settings
from tests.fakes.catalogue import MATRIX, THRONES
from tests.support.asgi import eventually, serving
from tests.support.pool import PoolHarness

from .conftest import TOKEN

POOL_KEY = "tb_pool_key_000000000001"


@pytest.fixture
async def pool(tmp_path, fresh_dsn, nats_url, addon):
    addon.torbox.add_account(POOL_KEY)
    settings = make_settings(
        tmp_path / "pool", DATABASE_URL=fresh_dsn, NATS_URL=nats_url, TORBOX_API_URL=addon.torbox.base_url
    )
    config = PoolConfig(bcrypt_rounds=4, activity_flush_seconds=0.2, health_interval_seconds=3600)
    async with serving(build_pool(settings, config)) as base:
        db = await create_pool(fresh_dsn, min_size=1, max_size=2)
        admin = httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {settings.admin_token}"})
        try:
            harness = PoolHarness(None, admin, addon.bus, db, settings, base)
            await harness.add_key(POOL_KEY, maxConcurrentStreams=1)
            yield harness
        finally:
            await admin.aclose()
            await db.close()


async def test_a_pool_user_gets_streams_and_plays_with_the_pools_key(addon, pool):
    user = await pool.add_user()
    config = addon.config(token=None, auth=user)
    streams = await addon.streams("series", f"{THRONES}:1:2", config=config, **{"User-Agent": "Stremio/1"})
    assert streams[0]["name"].startswith("[TB ⚡]")
    response = await addon.client.get(streams[0]["url"], headers={"User-Agent": "Stremio/1"})
    assert response.status_code == 302
    assert POOL_KEY not in response.headers["location"] and POOL_KEY not in str(streams)
    assert {c[2] for c in addon.torbox.calls if c[1].endswith(("createtorrent", "requestdl"))} == {POOL_KEY}
    session = await pool.db.fetchrow("SELECT * FROM torbox_concurrency_log WHERE user_id = $1", user)
    assert session["stream_ended_at"] is None and session["device_id"] == Client("127.0.0.1", "Stremio/1").device_id
    usage = await eventually(lambda: pool.db.fetchrow("SELECT * FROM torbox_usage_logs WHERE user_id = $1", user))
    assert (usage["action"], usage["imdb_id"], usage["stream_type"], usage["was_cached"]) == (
        "play",
        THRONES,
        "series",
        True,
    )


async def test_refusals_are_entries_that_say_why(addon, pool):
    unknown = await addon.streams("movie", MATRIX, config=addon.config(token=None, auth="0" * 32))
    assert len(unknown) == 1 and "externalUrl" in unknown[0]
    assert "user" in unknown[0]["description"].lower()
    user = await pool.add_user()
    config = addon.config(token=None, auth=user)
    for device in range(3):
        assert (await addon.streams("movie", MATRIX, config=config, **{"User-Agent": f"TV {device}"}))[0].get("url")
    fourth = await addon.streams("movie", MATRIX, config=config, **{"User-Agent": "TV 4"})
    assert "device" in fourth[0]["description"].lower() and "url" not in fourth[0]


async def test_the_stream_cap_refuses_a_second_device_and_a_device_switching_streams_is_not_counted_twice(addon, pool):
    user = await pool.add_user()
    config = addon.config(token=None, auth=user)
    urls = [s["url"] for s in await addon.streams("movie", MATRIX, config=config)]
    assert (await addon.client.get(urls[0], headers={"User-Agent": "TV"})).status_code == 302
    second = await addon.client.get(urls[1], headers={"User-Agent": "Phone"})
    assert second.status_code == 429 and "streams of this key are in use" in second.json()["message"]
    switched = await addon.client.get(urls[1], headers={"User-Agent": "TV"})  # the TV moves to another film
    assert switched.status_code == 302
    sessions = await pool.db.fetch(
        "SELECT stream_ended_at FROM torbox_concurrency_log WHERE user_id = $1 ORDER BY stream_started_at",
        user,
    )
    assert [s["stream_ended_at"] is None for s in sessions] == [False, True]


async def test_a_refused_play_leaves_no_session_open(addon, pool):
    user = await pool.add_user()
    config = addon.config(token=None, auth=user)
    uncached = (await addon.streams("series", f"{THRONES}:1:2", config=config))[2]["url"]
    assert (await addon.client.get(uncached)).status_code == 409
    open_sessions = await pool.db.fetchval(
        "SELECT count(*) FROM torbox_concurrency_log WHERE user_id = $1 AND stream_ended_at IS NULL", user
    )
    assert open_sessions == 0


async def test_with_both_a_refusing_pool_falls_back_to_the_token(addon, pool):
    config = addon.config(token=TOKEN, auth="0" * 32)  # no such pool user
    streams = await addon.streams("movie", MATRIX, config=config)
    assert streams[0]["name"].startswith("[TB ⚡]")
    assert (await addon.client.get(streams[0]["url"])).status_code == 302


def test_the_client_address_comes_from_forwarded_for_only_behind_a_trusted_proxy():
    trusted = parse_networks("127.0.0.0/8,10.0.0.0/8")
    assert client_ip("127.0.0.1", "203.0.113.9", trusted) == "203.0.113.9"
    assert client_ip("127.0.0.1", "198.51.100.1, 203.0.113.9, 10.0.0.2", trusted) == "203.0.113.9"
    assert client_ip("203.0.113.7", "198.51.100.1", trusted) == "203.0.113.7"  # spoofed: ignored
    assert client_ip("127.0.0.1", None, trusted) == "127.0.0.1"
    assert Client("1.2.3.4", "ua").device_id != Client("1.2.3.5", "ua").device_id
    assert "1.2.3.4" not in Client("1.2.3.4", "ua").device_id


async def test_a_device_past_the_limit_cannot_play_and_a_key_torbox_refuses_is_reported(addon, pool):
    user = await pool.add_user()
    config = addon.config(token=None, auth=user)
    url = (await addon.streams("movie", MATRIX, config=config, **{"User-Agent": "TV 0"}))[0]["url"]
    for device in range(1, 3):
        await addon.streams("movie", MATRIX, config=config, **{"User-Agent": f"TV {device}"})
    refused = await addon.client.get(url, headers={"User-Agent": "TV 3"})
    assert refused.status_code == 403 and "device" in refused.json()["message"].lower()

    addon.torbox.failing[POOL_KEY] = 401  # TorBox no longer takes the pool's key
    failed = await addon.client.get(url, headers={"User-Agent": "TV 0"})
    assert failed.status_code == 403 and POOL_KEY not in failed.text

    async def key_failing():
        return await pool.db.fetchval("SELECT status FROM torbox_pool") == "failing"

    await eventually(key_failing)  # pool.key.failure reached the pool: a 401 fails the key at once


async def test_a_remembered_link_still_counts_against_the_pools_limits(addon, pool):
    """The link TorBox gave for a film is remembered for every device of the key; a second device playing
    it still needs a stream of its own within the cap, and is counted — the first asking again is not."""
    user = await pool.add_user()
    config = addon.config(token=None, auth=user)
    url = (await addon.streams("movie", MATRIX, config=config, **{"User-Agent": "TV"}))[0]["url"]
    assert (await addon.client.get(url, headers={"User-Agent": "TV"})).status_code == 302
    requests_before = sum(1 for c in addon.torbox.calls if c[1].endswith("requestdl"))
    phone = await addon.client.get(url, headers={"User-Agent": "Phone"})
    assert phone.status_code == 429 and "streams of this key are in use" in phone.json()["message"]
    for _ in range(2):  # the TV asks again (a HEAD, a seek): the same stream, not a new one
        assert (await addon.client.head(url, headers={"User-Agent": "TV"})).status_code == 302
    assert sum(1 for c in addon.torbox.calls if c[1].endswith("requestdl")) == requests_before  # from memory
    sessions = await pool.db.fetchval("SELECT count(*) FROM torbox_concurrency_log WHERE user_id = $1", user)
    assert sessions == 1
    (key,) = (await pool.http.get("/pool/keys")).json()
    assert (await pool.http.patch(f"/pool/keys/{key['id']}", json={"maxConcurrentStreams": 2})).status_code == 200
    assert (await addon.client.get(url, headers={"User-Agent": "Phone"})).status_code == 302  # room for it now
    plays = await eventually(
        lambda: pool.db.fetchval("SELECT count(*) FROM torbox_usage_logs WHERE user_id = $1 HAVING count(*) >= 2", user)
    )
    assert plays == 2


async def test_a_devices_grant_serves_its_next_lists_until_the_pool_changes_its_mind(addon, pool):
    """A device that was granted a key for listing gets its next lists without asking the pool again (a warm
    list is a lookup); once the admin suspends the user, the pool's invalidation reaches stream-proxy and the
    very next list is refused."""
    asked: list[bytes] = []

    async def overheard(msg) -> None:  # a plain subscriber (no queue group) gets a copy of every request
        asked.append(msg.data)

    wiretap = await addon.bus.nc.subscribe("pool.key.get", cb=overheard)
    user = await pool.add_user()
    config = addon.config(token=None, auth=user)
    try:
        for _ in range(3):
            listed = await addon.streams("movie", MATRIX, config=config, **{"User-Agent": "TV"})
            assert listed[0].get("url")
        await eventually(lambda: len(asked) >= 1)
        assert len(asked) == 1  # the pool was asked for the first list only
        other = await addon.streams("movie", MATRIX, config=config, **{"User-Agent": "Phone"})
        assert other[0].get("url") and len(asked) == 2  # another device is the pool's to decide
        suspended = await pool.http.patch(f"/pool/users/{user}", json={"subStatus": "suspended"})
        assert suspended.status_code == 200, suspended.text

        async def refused() -> bool:
            listed = await addon.streams("movie", MATRIX, config=config, **{"User-Agent": "TV"})
            return "url" not in listed[0]

        await eventually(refused, timeout=5)
    finally:
        await wiretap.unsubscribe()
