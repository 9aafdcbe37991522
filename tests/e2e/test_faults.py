"""Faults during the journey: NATS is killed and started again, then PostgreSQL. Every service's /health says
503 while either is away and 200 once it is back, without a restart of any service; and no usage, search or
torrent-status event is lost — what the services sent is counted against what reached the database (and
JetStream, and Jellyfin) at the end."""

from __future__ import annotations

from collections import Counter

import asyncpg

from libs.schemas.stremio import AddonConfig, StoreConfig
from services.stream_proxy.addon_config import encode_config
from tests.e2e.conftest import POOL_KEY, WholeStack, torrent_states
from tests.fakes.catalogue import THRONES
from tests.support.asgi import eventually

SERVICES = {"stream-proxy", "pool-allocator", "indexer-stats", "notifier", "qbt-shim"}


class Journey:
    """Drives the user's side and keeps the ledger of what should be counted."""

    def __init__(self, stack: WholeStack, pool_config: str, own_config: str) -> None:
        self.stack = stack
        self.pool_config = pool_config  # a pool user's Stremio
        self.own_config = own_config  # a user with their own TorBox token: needs neither NATS nor the pool
        self.plays = 0  # pool plays that reached the CDN: each owes one pool.usage
        self.magnets: list[str] = []  # each owes torrent.status events ending in one `completed`
        self.episode = 0

    async def streams(self, config: str) -> list[dict]:
        """The list for an episode never asked before, so it is searched for (no cache answers)."""
        self.episode += 1
        path = f"/stremio/torz/{config}/stream/series/{THRONES}:1:{self.episode}.json"
        listed = await self.stack.client.get(path, headers={"User-Agent": "TV"})
        assert listed.status_code == 200, listed.text
        return [s for s in listed.json()["streams"] if s.get("url")]

    async def play(self, config: str) -> int:
        streams = await self.streams(config)
        assert streams, "no playable stream listed"
        played = await self.stack.client.get(streams[0]["url"], headers={"User-Agent": "TV"})
        if played.status_code == 302 and config == self.pool_config:
            self.plays += 1
        return played.status_code

    async def magnet(self) -> None:
        number = len(self.magnets) + 1
        info_hash, name = f"{number:040x}", f"Fault.Show.S01E{number:02d}.1080p.WEB"
        self.stack.torbox.add_torrent(info_hash, name, [(name + ".mkv", 600_000)], cached=False)
        form = {"urls": f"magnet:?xt=urn:btih:{info_hash}&dn={name}", "category": "tv-sonarr"}
        assert (await self.stack.client.post("/api/v2/torrents/add", data=form)).text == "Ok."
        self.magnets.append(info_hash)


async def health_is(stack: WholeStack, code: int) -> None:
    async def every():
        codes = await stack.health()
        return set(codes) == SERVICES and set(codes.values()) == {code}

    await eventually(every, timeout=60, interval=0.3)


async def test_nats_then_postgres_die_mid_journey_and_no_event_is_lost(whole_stack, log_lines):
    stack = whole_stack
    pool_config = await stack.add_pool_user("viewer@example.com")
    own_config = encode_config(AddonConfig(stores=[StoreConfig(c="tb", t=POOL_KEY)]))
    await stack.tell_jellyfin(coalesce_seconds=0.3)
    await stack.qbittorrent_login()
    journey = Journey(stack, pool_config, own_config)
    await health_is(stack, 200)

    assert await journey.play(pool_config) == 302
    await journey.magnet()

    # NATS away: the own-token user still gets streams (searched, measured), torrents still download
    stack.nats.kill()
    await health_is(stack, 503)
    assert await journey.play(own_config) == 302
    await journey.magnet()
    await eventually(lambda: _on_disk(stack, journey.magnets[-1]), timeout=30)
    stack.nats.start()
    await health_is(stack, 200)

    assert await journey.play(pool_config) == 302
    await journey.magnet()  # added just before the database dies: it finishes once the database is back

    # PostgreSQL away: streams still listed and played (the pool answers a user it knows from memory; its
    # usage and the searches wait in stream-proxy's memory for the database); then everything resumes
    stack.postgres.kill()
    await health_is(stack, 503)
    assert await journey.play(own_config) == 302
    assert await journey.play(pool_config) == 302
    stack.postgres.start()
    await health_is(stack, 200)

    assert await journey.play(pool_config) == 302
    await journey.magnet()

    # nothing lost: every search, every pool play, every torrent's statuses
    db = await asyncpg.connect(stack.postgres.dsn)
    try:
        searches = len(stack.prowlarr.searches)

        async def stored(query: str, wanted: int):
            return await db.fetchval(query) >= wanted

        # a batch a consumer held when the database died comes back after JetStream's ack wait (30 s)
        await eventually(lambda: stored("SELECT count(*) FROM prowlarr_search_logs", searches), timeout=75)
        await eventually(lambda: stored("SELECT count(*) FROM torbox_usage_logs", journey.plays), timeout=75)
        assert await db.fetchval("SELECT count(*) FROM prowlarr_search_logs") == searches
        assert await db.fetchval("SELECT count(*) FROM torbox_usage_logs WHERE action = 'play'") == journey.plays == 4
        for table in ("stream_proxy_outbox", "qbt_outbox"):  # the last magnet's events too, moments later
            await eventually(lambda table=table: stored(f"SELECT -count(*) FROM {table}", 0), timeout=15)
    finally:
        await db.close()

    statuses = await eventually(lambda: _completed_statuses(stack, journey.magnets), timeout=60)
    for info_hash in journey.magnets:
        states = statuses[info_hash]
        assert states["completed"] == 1 and states["queued"] == 1, (info_hash, states)

    def told_jellyfin():
        told = {path for _, _, paths in stack.jellyfin.calls for path in paths}
        return all(any(f"E{n:02d}" in path for path in told) for n in range(1, len(journey.magnets) + 1))

    await eventually(told_jellyfin, timeout=30)
    out = log_lines.text()  # what was logged while things failed holds no secret either
    assert "not connected" in out or "unavailable" in out
    for secret in stack.secrets:
        assert secret not in out


def _on_disk(stack: WholeStack, info_hash: str) -> bool:
    number = int(info_hash, 16)
    name = f"Fault.Show.S01E{number:02d}.1080p.WEB"
    return (stack.downloads / "tv-sonarr" / name / f"{name}.mkv").exists()


async def _completed_statuses(stack: WholeStack, hashes: list[str]) -> dict[str, Counter] | None:
    """Each torrent's states, once every torrent's `completed` is there."""
    counts = await torrent_states(stack.nats.url)
    return counts if all(counts.get(h, Counter())["completed"] for h in hashes) else None
