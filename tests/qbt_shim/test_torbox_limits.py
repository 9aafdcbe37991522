"""The TorBox side: a full account keeps torrents queued here (not failed), adds stay within the key's
budget, and a pool user's key is borrowed from the real pool-allocator."""

import httpx

from libs.ratelimit import SharedWindowLimiter
from services.pool_allocator.app import build as build_pool
from services.pool_allocator.config import PoolConfig
from services.qbt_shim.app import build
from tests.support.asgi import eventually, serving

from .conftest import EPISODE, MOVIE, PASSWORD, SHIM_CONFIG, TOKEN, UNCACHED, magnet, shim_settings
from .test_downloads import add, assert_on_disk, completed


async def test_a_full_account_keeps_the_torrent_queued_until_there_is_room(shim):
    shim.torbox.accounts[TOKEN].active_limit = 0
    await add(shim, UNCACHED)

    async def told():
        listed = await shim.one(UNCACHED[0])
        return listed if "active downloads" in listed["comment"] else None

    listed = await eventually(told, timeout=10)
    assert listed["state"] == "queuedDL"
    shim.torbox.accounts[TOKEN].active_limit = 5
    done = await completed(shim, UNCACHED[0])
    assert done["comment"] == ""


async def test_a_torrent_torbox_queues_is_tracked_until_it_starts_and_completes(shim):
    """TorBox may queue an add (`queued_id`, no `torrent_id`): queuedDL here until TorBox starts it."""
    second = ("c" * 40, "Rare.Film.1972.DVDRip", [("Rare.Film.1972.DVDRip.avi", 900_000)])
    shim.torbox.add_torrent(*second, cached=False)
    account = shim.torbox.accounts[TOKEN]
    account.active_limit, account.queues_when_full = 1, True
    shim.torbox.download_seconds = 4.0  # the first holds TorBox's only slot a while
    await add(shim, UNCACHED)
    await eventually(lambda: _state_is(shim, UNCACHED[0], "downloading"), timeout=10)
    await add(shim, second)

    async def queued_at_torbox():
        row = await shim.app.state.shim.torrents.torrent(second[0])
        return row if row.torbox_queued_id is not None else None

    row = await eventually(queued_at_torbox, timeout=10)
    assert row.torbox_id is None
    listed = await shim.one(second[0])
    assert (listed["state"], listed["comment"]) == ("queuedDL", "")  # queued by TorBox, nothing wrong
    shim.torbox.download_seconds = 0.0  # the second is done at TorBox the moment it starts: first seen finished
    await completed(shim, UNCACHED[0])
    await completed(shim, second[0], timeout=30)  # started by TorBox once the first was done, under a new id


async def _state_is(shim, torrent_hash: str, state: str) -> dict | None:
    listed = await shim.one(torrent_hash)
    return listed if listed["state"] == state else None


async def test_torbox_answering_an_error_page_keeps_the_torrent_queued_not_failed(shim):
    """A proxy in front of TorBox answering HTML is TorBox's trouble: the torrent waits and is added after."""
    shim.torbox.garbage = True
    await add(shim, MOVIE)

    async def told():
        listed = await shim.one(MOVIE[0])
        return listed if "BAD_RESPONSE" in listed["comment"] else None

    listed = await eventually(told, timeout=10)
    assert listed["state"] == "queuedDL"  # not `error`: nothing is wrong with the torrent
    shim.torbox.garbage = False
    done = await completed(shim, MOVIE[0])
    assert done["comment"] == ""


async def test_adds_beyond_the_keys_budget_wait_their_turn(shim):
    cloud = shim.app.state.shim.cloud
    cloud.adds = SharedWindowLimiter(cloud.adds.bus, "adds-test", (1, 2.0))  # one add per 2 s, not 10 a minute
    await add(shim, EPISODE)
    await add(shim, MOVIE)
    await completed(shim, EPISODE[0])
    creates = [c for c in shim.torbox.calls if c[1].endswith("createtorrent")]
    assert len(creates) == 1  # the second waits for the window
    await completed(shim, MOVIE[0])
    assert len([c for c in shim.torbox.calls if c[1].endswith("createtorrent")]) == 2


async def test_a_pool_users_key_is_borrowed_from_the_pool(tmp_path, fresh_dsn, nats_url, torbox):
    pool_key = "tb_pool_key_for_the_shim_01"
    torbox.add_account(pool_key)
    pool_settings = shim_settings(tmp_path / "pool", fresh_dsn, nats_url, torbox)
    async with serving(build_pool(pool_settings, PoolConfig(bcrypt_rounds=4, health_interval_seconds=3600))) as pool:
        admin = {"Authorization": f"Bearer {pool_settings.admin_token}"}
        async with httpx.AsyncClient(base_url=pool, headers=admin) as client:
            assert (await client.post("/pool/keys", json={"apiKey": pool_key})).status_code == 201
            user = (
                await client.post("/pool/users", json={"email": "sonarr@example.com", "password": "pw-123456"})
            ).json()
        settings = shim_settings(
            tmp_path / "shim", fresh_dsn, nats_url, torbox, QBT_TORBOX_TOKEN="", QBT_POOL_USER=user["uuid"]
        )
        async with serving(build(settings, SHIM_CONFIG)) as base, httpx.AsyncClient(base_url=base) as client:
            await client.post("/api/v2/auth/login", data={"username": "admin", "password": PASSWORD})
            await client.post("/api/v2/torrents/add", data={"urls": magnet(EPISODE)})
            harness = type("H", (), {})()

            async def one(torrent_hash):
                return (await client.get("/api/v2/torrents/info", params={"hashes": torrent_hash})).json()[0]

            harness.one = one
            done = await completed(harness, EPISODE[0])
    assert_on_disk(settings.download_root.resolve() / EPISODE[1], EPISODE)
    assert done["state"] == "stoppedUP"
    assert {c[2] for c in torbox.calls if "createtorrent" in c[1] or "requestdl" in c[1]} == {pool_key}
