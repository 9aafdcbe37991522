"""Playing a stream: a redirect to TorBox's CDN with the right file, one resolution for a HEAD and a GET,
and a clear answer for everything that can go wrong — never a hang, never the key in a URL."""

import asyncio

import httpx

from libs.ratelimit import SharedWindowLimiter
from services.stream_proxy import client as client_module
from services.stream_proxy.app import build
from tests.fakes.catalogue import ENTRIES, MATRIX, THRONES, info_hash_of
from tests.fakes.torbox import file_bytes
from tests.support.asgi import serving

from .conftest import TOKEN

PACK = ENTRIES[5]


def calls(addon, endpoint: str) -> int:
    return sum(1 for c in addon.torbox.calls if c[1].endswith(endpoint))


async def play_url(addon, kind: str, video: str, index: int = 0, config: str | None = None) -> str:
    streams = await addon.streams(kind, video, config=config)
    return streams[index]["url"]


async def test_the_episode_plays_from_the_pack_through_a_redirect_to_the_cdn(addon):
    url = await play_url(addon, "series", f"{THRONES}:1:2")
    response = await addon.client.get(url)
    assert response.status_code == 302 and response.headers["cache-control"] == "no-store"
    location = response.headers["location"]
    assert location.startswith(addon.torbox.base_url + "/cdn/") and TOKEN not in location
    name = "Game.of.Thrones.S01E02.1080p.BluRay.x264-GRP.mkv"
    assert location.endswith("/" + name)
    async with httpx.AsyncClient() as cdn:
        part = await cdn.get(location, headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206
    assert part.content == file_bytes(info_hash_of(PACK), f"{PACK.title}/{name}", 1000, 1999)
    again = await addon.client.get(url)
    assert again.headers["location"] == location  # the link is remembered: no second requestdl
    assert (calls(addon, "createtorrent"), calls(addon, "requestdl")) == (1, 1)


async def test_a_head_and_a_get_together_share_one_resolution(addon):
    url = await play_url(addon, "movie", MATRIX, index=1)
    head, get = await asyncio.gather(addon.client.head(url), addon.client.get(url))
    assert head.status_code == get.status_code == 302
    assert head.headers["location"] == get.headers["location"]
    assert (calls(addon, "createtorrent"), calls(addon, "requestdl")) == (1, 1)


async def test_an_uncached_torrent_is_a_clear_not_yet_then_plays_once_downloaded(addon):
    url = await play_url(addon, "series", f"{THRONES}:1:2", index=2)
    assert url.endswith("/auto")
    first = await asyncio.wait_for(addon.client.get(url), 5)
    assert first.status_code == 409 and "not cached yet" in first.json()["message"]
    await asyncio.sleep(1.2)  # the fake TorBox downloads it in a second
    ready = await addon.client.get(url)
    assert ready.status_code == 302
    assert ready.headers["location"].endswith("/Game.of.Thrones.S01E02.2160p.WEB.h265-GRP.mkv")
    assert calls(addon, "createtorrent") == 1  # the second play found the torrent it had added


async def test_torbox_refusals_are_clear_answers(addon):
    url = await play_url(addon, "movie", MATRIX)
    addon.torbox.failing[TOKEN] = 429
    limited = await addon.client.get(url)
    assert limited.status_code == 429 and "rate-limiting" in limited.json()["message"]
    addon.torbox.failing.clear()
    addon.torbox.accounts.clear()
    refused = await addon.client.get(url)
    assert refused.status_code == 403 and "refused the key" in refused.json()["message"]
    assert TOKEN not in limited.text + refused.text


async def test_a_full_account_is_told_not_left_waiting(addon):
    addon.torbox.accounts[TOKEN].active_limit = 0
    url = await play_url(addon, "series", f"{THRONES}:1:2", index=2)  # not cached: needs a download slot
    response = await addon.client.get(url)
    assert response.status_code == 429 and "active torrent download limit" in response.json()["message"]


async def test_links_not_made_by_the_add_on_are_refused(addon):
    config = addon.config()
    for path, status in [
        (f"/stremio/torz/{config}/play/nothex/{MATRIX}/auto", 404),
        (f"/stremio/torz/{config}/play/{'a' * 40}/not-an-id/auto", 404),
        (f"/stremio/torz/bm90IGpzb24/play/{'a' * 40}/{MATRIX}/auto", 400),
        (f"/stremio/torz/{config}/play/{'a' * 40}/{MATRIX}/auto", 404),  # a hash no stream list offered
        (f"/stremio/torz/{config}/play/{info_hash_of(PACK)}/{MATRIX}/auto", 404),  # offered for another title
    ]:
        response = await addon.client.get(path)
        assert response.status_code == status, (path, response.text)
        assert response.json()["message"]
    assert calls(addon, "createtorrent") == 0  # nothing made up spends the key's 60 adds an hour


async def test_adds_stay_within_the_keys_budget(addon):
    adds = addon.proxy.player._adds
    addon.proxy.player._adds = SharedWindowLimiter(adds.bus, adds.bucket, (1, 3600))  # as if 60 were used
    first, second = (await addon.streams("movie", MATRIX))[:2]
    assert (await addon.client.get(first["url"])).status_code == 302
    refused = await addon.client.get(second["url"])
    assert refused.status_code == 429 and "used its adds" in refused.json()["message"]
    assert calls(addon, "createtorrent") == 1  # the refused one never reached TorBox


async def test_a_torrent_already_in_the_account_is_found_again_after_a_restart(addon):
    url = await play_url(addon, "movie", MATRIX)
    assert (await addon.client.get(url)).status_code == 302
    addon.proxy.player._torrents.clear()  # what a restart forgets
    addon.proxy.player._links.clear()
    addon.torbox.duplicates_refused = True  # TorBox refuses the second add of the same torrent
    again = await addon.client.get(url)
    assert again.status_code == 302
    assert len(addon.torbox.accounts[TOKEN].torrents) == 1


async def _links_for(addon, headers: dict) -> list[str]:
    return [s["url"] for s in await addon.streams("movie", MATRIX, **headers) if "url" in s]


async def test_links_never_point_where_a_host_header_says(addon, monkeypatch):
    """A trusted proxy's forwarded host is believed (when it is a host); a request that did not come through
    one gets links to the address it reached, whatever `Host` it sent."""
    proxied = await _links_for(addon, {"X-Forwarded-Host": "media.example:8443", "X-Forwarded-Proto": "https"})
    assert proxied and all(url.startswith("https://media.example:8443/stremio/torz/") for url in proxied)
    smuggled = await _links_for(addon, {"X-Forwarded-Host": "evil.example/x?", "Host": "evil.example@x"})
    assert smuggled and not any("evil" in url for url in smuggled)
    monkeypatch.setattr(client_module, "is_trusted", lambda address, trusted: False)  # nobody's proxy now
    direct = await _links_for(addon, {"Host": "evil.example", "X-Forwarded-Host": "evil.example"})
    assert direct and all(url.startswith(addon.base + "/stremio/torz/") for url in direct)


async def test_a_second_replica_reuses_the_link_the_first_resolved(addon, stream_config):
    """Replicas share the torrent map and the CDN links (NATS KV): a player sent to the other replica gets
    the same link, without a second add or `requestdl` spent on the key."""
    url = await play_url(addon, "movie", MATRIX)
    first = await addon.client.get(url)
    assert first.status_code == 302
    adds, links = calls(addon, "createtorrent"), calls(addon, "requestdl")
    path = url[url.index("/stremio/") :]
    async with serving(build(addon.settings, stream_config)) as base, httpx.AsyncClient(base_url=base) as other:
        again = await other.get(path)
    assert again.status_code == 302 and again.headers["location"] == first.headers["location"]
    assert (calls(addon, "createtorrent"), calls(addon, "requestdl")) == (adds, links)
