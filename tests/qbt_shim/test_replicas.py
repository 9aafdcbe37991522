"""Two qbt-shim replicas on one database, one NATS and one download folder: each torrent added to TorBox
once, each file fetched once, and a replica that stops hands its downloads to the other, which resumes them
from their `.part` files."""

from __future__ import annotations

import asyncio
import hashlib
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest

from libs.bus import Bus, ensure_streams
from libs.db import create_pool
from services.qbt_shim import repository as repo
from services.qbt_shim.app import build
from tests.support.asgi import eventually, serving

from .conftest import PASSWORD, SHIM_CONFIG, TOKEN, magnet, shim_settings
from .test_downloads import assert_on_disk, status_events


@pytest.fixture
async def events(nats_url):
    """What the replicas published on TORRENT_STATUS (purged first: this test's events only)."""
    bus = await Bus.connect(nats_url, "tests")
    await ensure_streams(bus)
    await bus.js.purge_stream("TORRENT_STATUS")
    yield SimpleNamespace(bus=bus)
    await bus.close()


def torrent(n: int, size: int = 400_000):
    name = f"Replica.Test.S01E{n:02d}.720p.WEB"
    return hashlib.sha1(name.encode()).hexdigest(), name, [(f"{name}.mkv", size)]


async def replica(stack: AsyncExitStack, settings) -> tuple[object, httpx.AsyncClient]:
    app = build(settings, SHIM_CONFIG)
    base = await stack.enter_async_context(serving(app))
    client = await stack.enter_async_context(httpx.AsyncClient(base_url=base, timeout=30))
    login = await client.post("/api/v2/auth/login", data={"username": "admin", "password": PASSWORD})
    assert login.text == "Ok."
    return app, client


async def state_of(client: httpx.AsyncClient, torrent_hash: str) -> str:
    (listed,) = (await client.get("/api/v2/torrents/info", params={"hashes": torrent_hash})).json()
    return listed["state"]


async def test_two_replicas_add_and_fetch_each_torrent_once(tmp_path, fresh_dsn, nats_url, torbox, events):
    torrents = [torrent(n) for n in range(8)]
    for t in torrents:
        torbox.add_torrent(*t)
    settings = shim_settings(tmp_path, fresh_dsn, nats_url, torbox)
    async with AsyncExitStack() as stack:
        (_, first), (_, second) = await replica(stack, settings), await replica(stack, settings)
        for n, t in enumerate(torrents):  # Sonarr's adds reach either replica (Traefik balances them)
            client = first if n % 2 else second
            assert (await client.post("/api/v2/torrents/add", data={"urls": magnet(t)})).text == "Ok."
        for t in torrents:
            await eventually(lambda t=t: _done(first, t[0]), timeout=40)
    creates = [c for c in torbox.calls if c[1].endswith("createtorrent")]
    assert len(creates) == len(torrents)  # each added to TorBox once
    assert len(torbox.accounts[TOKEN].torrents) == len(torrents)
    fetched = {}
    for torrent_hash, name, byte_range in torbox.cdn_fetches:
        if byte_range in (None, "bytes=0-"):
            fetched[(torrent_hash, name)] = fetched.get((torrent_hash, name), 0) + 1
    assert len(fetched) == len(torrents) and set(fetched.values()) == {1}  # each file fetched once
    for t in torrents:
        assert_on_disk(settings.download_root.resolve() / t[1], t)
        completions = [e for e in await status_events(events, t[0]) if e.state == "completed"]
        assert len(completions) == 1


async def _done(client: httpx.AsyncClient, torrent_hash: str) -> bool:
    return await state_of(client, torrent_hash) == "stoppedUP"


async def test_a_stopped_replicas_download_is_resumed_by_the_other(tmp_path, fresh_dsn, nats_url, torbox, events):
    big = torrent(99, size=3_000_000)
    torbox.add_torrent(*big)
    torbox.cdn_rate = 1_000_000  # 3 s for the file: time to stop its replica halfway
    settings = shim_settings(tmp_path, fresh_dsn, nats_url, torbox)
    part = settings.download_root.resolve() / big[1] / (big[2][0][0] + ".part")
    async with AsyncExitStack() as survivor:
        _, second = None, None
        async with AsyncExitStack() as doomed:
            _, first = await replica(doomed, settings)
            assert (await first.post("/api/v2/torrents/add", data={"urls": magnet(big)})).text == "Ok."
            await eventually(lambda: part.exists() and part.stat().st_size > 500_000, timeout=20)
            _, second = await replica(survivor, settings)  # started while the first holds the file
            await asyncio.sleep(1.5)
            assert [f for f in torbox.cdn_fetches if f[0] == big[0]] == [(big[0], f"{big[1]}/{big[2][0][0]}", None)]
        torbox.cdn_rate = 0
        await eventually(lambda: _done(second, big[0]), timeout=30)
    ranges = [r for h, _, r in torbox.cdn_fetches if h == big[0]]
    assert ranges[0] is None and len(ranges) == 2 and ranges[1].startswith("bytes=")
    assert int(ranges[1][6:].split("-")[0]) > 500_000  # resumed from the .part file, not from the start
    assert_on_disk(settings.download_root.resolve() / big[1], big)
    assert len([e for e in await status_events(events, big[0]) if e.state == "completed"]) == 1


async def test_a_lease_that_runs_out_is_taken_over_and_a_held_one_is_not(fresh_dsn, tmp_path, nats_url, torbox):
    """A replica that died holds its files until their lease runs out; then another takes them."""
    settings = shim_settings(tmp_path, fresh_dsn, nats_url, torbox)
    async with serving(build(settings, SHIM_CONFIG)):  # the schema, then the service away again
        pass
    db = await create_pool(fresh_dsn, min_size=1, max_size=2)
    try:
        hashes = []
        for n in range(3):
            torrent_hash, name, files = torrent(n)
            hashes.append(torrent_hash)
            await db.execute(
                "INSERT INTO qbt_torrents (hash, name, category, save_path, phase, added_on) "
                "VALUES ($1, $2, '', $3, 'local', $4)",
                torrent_hash, name, str(tmp_path), datetime.now(UTC) - timedelta(minutes=n),
            )  # fmt: skip
            await db.execute(
                "INSERT INTO qbt_files (hash, index, path, size, torbox_file_id) VALUES ($1, 0, $2, 10, 1)",
                torrent_hash, files[0][0],
            )  # fmt: skip
        dead = await repo.claim_files(db, "dead-replica", 0.5, limit=2)
        assert len(dead) == 2
        alive = await repo.claim_files(db, "live-replica", 60, limit=10)
        assert len(alive) == 1 and alive[0].hash not in {f.hash for f in dead}  # skipped what is held
        await asyncio.sleep(0.7)
        taken = await repo.claim_files(db, "live-replica", 60, limit=10)
        assert {f.hash for f in taken} == {f.hash for f in dead}
        lost = await repo.renew_files(db, "dead-replica", 60, [(f.hash, f.index, 5) for f in dead])
        assert lost == set()  # the dead one, back, finds them gone and lets go
    finally:
        await db.close()
