"""The stream route against the fakes: the right releases, in order, with the right file of a pack."""

from urllib.parse import unquote

from tests.fakes.catalogue import ENTRIES, MATRIX, THRONES, info_hash_of

from .conftest import TOKEN


def titles(streams: list[dict]) -> list[str]:
    return [s["description"].split("\n")[0] for s in streams]


async def test_an_episode_lists_the_pack_and_the_episode_cached_first_never_the_wrong_episode(addon):
    streams = await addon.streams("series", f"{THRONES}:1:2")
    assert titles(streams) == [
        "Game.of.Thrones.S01.1080p.BluRay.x264-GRP",  # cached, 1080p: its episode 2 chosen from the pack
        "Game.of.Thrones.S01E02.720p.HDTV.x264-GRP",  # cached, 720p
        "Game.of.Thrones.S01E02.2160p.WEB.h265-GRP",  # not cached: after the cached ones
    ]
    pack = streams[0]
    assert pack["name"].startswith("[TB ⚡]") and pack["name"].endswith("1080p")
    assert pack["behaviorHints"]["filename"] == "Game.of.Thrones.S01E02.1080p.BluRay.x264-GRP.mkv"
    assert pack["behaviorHints"]["videoSize"] == 4_000_000_002  # the episode's size, not the pack's
    assert pack["behaviorHints"]["bingeGroup"] == f"chillproxy|{info_hash_of(ENTRIES[5])}"
    assert unquote(pack["url"]).endswith(
        f"/play/{info_hash_of(ENTRIES[5])}/{THRONES}:1:2/{pack['behaviorHints']['filename']}"
    )
    assert pack["url"].startswith(addon.base + "/stremio/torz/")
    assert streams[2]["name"].startswith("[TB ⬇️]") and streams[2]["url"].endswith("/auto")
    # the links a player gets carry the configuration sealed: not the token, not even in base64
    assert all(s["url"].startswith(f"{addon.base}/stremio/torz/s.") for s in streams)
    assert not any(TOKEN in s["url"] or addon.config() in s["url"] for s in streams)


async def test_a_pool_only_configuration_stays_readable_and_a_forged_seal_is_refused(addon):
    config = addon.config(token=None, auth="0" * 32)
    streams = await addon.streams("movie", MATRIX, config=config)  # no such pool user: a message entry
    assert streams[0]["externalUrl"].endswith(f"/stremio/torz/{config}/configure")
    forged = await addon.client.get(f"/stremio/torz/s.gAAAAAforged/play/{'a' * 40}/{MATRIX}/auto")
    assert forged.status_code == 400 and "another Chillproxy" in forged.json()["message"]


async def test_a_film_skips_other_films_slow_indexers_and_reads_torrent_files(addon):
    streams = await addon.streams("movie", MATRIX)
    assert titles(streams) == [
        "The.Matrix.1999.2160p.UHD.BluRay.REMUX.HDR.HEVC-GRP",
        "The.Matrix.1999.1080p.BluRay.x264-GRP",
        "The.Matrix.1999.720p.WEB-DL.x264-GRP",  # its hash came from the .torrent file; not cached
    ]
    assert "{ImdbId:tt0133093}" in {s["query"] for s in addon.prowlarr.searches}


async def test_one_cache_check_for_every_hash_and_the_second_ask_is_remembered(addon):
    await addon.streams("series", f"{THRONES}:1:2")
    checks = [c for c in addon.torbox.calls if c[1].endswith("checkcached")]
    searches = len(addon.prowlarr.searches)
    assert len(checks) == 1 and checks[0][0] == "POST"
    again = await addon.streams("series", f"{THRONES}:1:2", config=addon.config(per_resolution=1))
    assert len(again) == 3
    assert len(addon.prowlarr.searches) == searches  # search results from NATS KV
    assert len([c for c in addon.torbox.calls if c[1].endswith("checkcached")]) == 1  # availability too


async def test_the_users_filters_apply(addon):
    streams = await addon.streams("movie", MATRIX, config=addon.config(resolutions=["1080p", "720p"], cached_only=True))
    assert titles(streams) == ["The.Matrix.1999.1080p.BluRay.x264-GRP"]


async def test_messages_instead_of_streams(addon):
    bad = await addon.streams("movie", MATRIX, config="bm90IGpzb24")
    assert len(bad) == 1 and "not JSON" in bad[0]["description"] and "externalUrl" in bad[0]
    addon.torbox.accounts.clear()  # the token is no longer valid at TorBox
    refused = await addon.streams("movie", MATRIX)
    assert "TorBox refused the key" in refused[0]["description"]
    nothing = await addon.streams("movie", "tt9999999")
    assert "no results" in nothing[0]["description"]


async def test_ids_of_other_catalogues_get_no_streams_and_bad_types_a_404(addon):
    assert await addon.streams("series", "kitsu:1234:5") == []
    assert await addon.streams("movie", f"{THRONES}:1:2") == []
    response = await addon.client.get(f"/stremio/torz/{addon.config()}/stream/tv/{MATRIX}.json")
    assert response.status_code == 404 and response.json()["error"] == "not_found"
