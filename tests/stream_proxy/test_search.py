"""Searching Prowlarr (the fake) per indexer, in parallel, with timeouts and one event per indexer."""

import asyncio

import msgspec
import pytest

from libs.bus import Bus, ensure_streams
from libs.http import http_client
from libs.prowlarr import ProwlarrClient, ProwlarrError
from libs.schemas import INDEXER_RANKING_GET, IndexerSearch, RankedIndexer, RankingReply, RankingRequest
from services.stream_proxy.media_id import MediaId
from services.stream_proxy.search import Late, Searcher, SearchPlan, Wanted, search_query
from tests.fakes.prowlarr import FakeProwlarr, Release
from tests.support.asgi import serving_fake

MATRIX = Release("The.Matrix.1999.1080p.BluRay", "a" * 40, 8_000_000_000, 200, imdb_id=133093)
EPISODE = Release("Show.S01E02.1080p.WEB", "b" * 40, 2_000_000_000, 50, imdb_id=944947, season=1, episode=2)


@pytest.fixture
async def prowlarr():
    fake = FakeProwlarr()
    fake.add_indexer(1, "Fast", priority=10, releases=[MATRIX, EPISODE])
    fake.add_indexer(2, "Broken", priority=20, releases=[MATRIX], fail_with=500)
    fake.add_indexer(3, "Slow", priority=5, releases=[MATRIX], latency=1.5)
    fake.add_indexer(4, "Usenet", protocol="usenet", releases=[MATRIX])
    async with serving_fake(fake):
        yield fake


@pytest.fixture
async def searcher(nats_url, prowlarr):
    bus = await Bus.connect(nats_url, "stream-proxy")
    await ensure_streams(bus)
    await bus.js.purge_stream("INDEXER_SEARCH")
    async with http_client("stream-proxy") as http:
        client = ProwlarrClient(http, prowlarr.base_url, prowlarr.api_key)
        yield Searcher(bus, client, SearchPlan(ranking_timeout=0.2, budget=4.0, default_timeout_ms=800))
    await bus.close()


async def events(bus: Bus) -> dict[int, IndexerSearch]:
    state = (await bus.js.stream_info("INDEXER_SEARCH")).state
    messages = [await bus.js.get_msg("INDEXER_SEARCH", seq) for seq in range(state.first_seq, state.last_seq + 1)]
    decoded = [msgspec.json.decode(m.data, type=IndexerSearch) for m in messages if m.data]
    return {e.indexer_id: e for e in decoded}


MATRIX_WANTED = Wanted(MediaId("tt0133093"), "The Matrix", 1999)


def ranked(movie_imdb: bool, tv_imdb: bool) -> RankedIndexer:
    return RankedIndexer(
        id=1, name="X", status="operational", timeout_ms=1000, supports_imdb=movie_imdb, supports_tv_imdb=tv_imdb
    )


def test_each_indexer_is_asked_by_what_it_can_search():
    by_id, by_title = ranked(True, True), ranked(False, False)
    assert search_query(MATRIX_WANTED, by_id) == ("{ImdbId:tt0133093}", "movie")
    assert search_query(MATRIX_WANTED, by_title) == ("The Matrix 1999", "movie")  # a {Year:} token could skip it
    episode = Wanted(MediaId("tt0944947", 1, 2), "Game of Thrones", 2011)
    assert search_query(episode, by_id) == ("{ImdbId:tt0944947}{Season:1}{Episode:2}", "tvsearch")
    assert search_query(episode, by_title) == ("Game of Thrones {Season:1}{Episode:2}", "tvsearch")
    assert search_query(episode, ranked(True, False)) == ("Game of Thrones {Season:1}{Episode:2}", "tvsearch")
    assert search_query(Wanted(MediaId("tt0133093")), by_title) is None  # no title, no id search: not asked


async def test_a_release_only_a_title_only_indexer_has_is_found(searcher, prowlarr):
    """Prowlarr skips an indexer asked by an id it cannot search by; asked by title, it finds the release."""
    rare = Release("The.Matrix.1999.Criterion.720p", "c" * 40, 4_000_000_000, 3, imdb_id=133093)
    prowlarr.add_indexer(6, "TitleOnly", releases=[rare], movie_imdb=False, tv_imdb=False)
    releases = await searcher.search(MATRIX_WANTED)
    assert rare.title in {r.title for r in releases}
    asked = {s["indexerIds"][0]: s["query"] for s in prowlarr.searches}
    assert asked[6] == "The Matrix 1999" and asked[1] == "{ImdbId:tt0133093}"
    # the same indexer asked by id, as every query used to: Prowlarr skips it, nothing found
    by_id = await searcher.prowlarr.search("The Matrix {ImdbId:tt0133093}", "movie", [6], 2.0)
    assert by_id == []


async def test_without_indexer_stats_prowlarrs_list_is_used(searcher, prowlarr):
    from datetime import UTC, datetime, timedelta

    prowlarr.add_indexer(5, "Blocked", releases=[MATRIX], disabled_till=datetime.now(UTC) + timedelta(hours=1))
    releases = await searcher.search(MATRIX_WANTED)
    assert [r.title for r in releases] == [MATRIX.title]  # Fast found it; the others did not
    assert {s["indexerIds"][0] for s in prowlarr.searches} == {1, 2, 3, 5}  # one search per torrent indexer
    seen = await events(searcher.bus)
    assert (seen[1].outcome, seen[1].result_count) == ("success", 1)
    # Prowlarr hides an indexer's own failure behind 200 [] (reference A.1): counted as nothing found
    assert (seen[2].outcome, seen[2].result_count) == ("success", 0)
    assert (seen[5].outcome, seen[5].http_status, seen[5].error_kind) == ("failure", 400, "client_error")
    assert seen[3].outcome == "timeout" and seen[3].duration_ms >= 700
    assert all(e.imdb_id == "tt0133093" and e.search_type == "movie" for e in seen.values())
    assert len({e.search_id for e in seen.values()}) == 1


async def test_the_ranking_decides_which_indexers_and_their_timeouts(searcher, prowlarr):
    async def ranking(request: RankingRequest) -> RankingReply:
        return RankingReply(
            indexers=[
                RankedIndexer(id=3, name="Slow", status="operational", timeout_ms=3000, supports_imdb=True),
                RankedIndexer(id=1, name="Fast", status="operational", timeout_ms=1000, supports_imdb=True),
            ]
        )

    subscription = await searcher.bus.serve(INDEXER_RANKING_GET, ranking)
    try:
        releases = await searcher.search(Wanted(MediaId("tt0944947", 1, 2), "Show"))
    finally:
        await subscription.unsubscribe()
    assert sorted(r.title for r in releases) == [EPISODE.title]  # Slow answered in time (3 s allowed)
    assert {s["indexerIds"][0] for s in prowlarr.searches} == {1, 3}  # Broken was not offered
    assert prowlarr.searches[0]["type"] == "tvsearch"
    seen = await events(searcher.bus)
    assert set(seen) == {1, 3} and seen[3].outcome == "success"


async def test_the_overall_budget_leaves_slow_indexers_out(searcher, prowlarr):
    searcher.plan = SearchPlan(ranking_timeout=0.2, budget=0.5, default_timeout_ms=5000)
    releases = await searcher.search(Wanted(MediaId("tt0133093")))
    assert [r.indexer_id for r in releases] == [1]
    seen = await events(searcher.bus)
    assert (seen[3].outcome, seen[3].error_kind) == ("timeout", "budget")


async def test_with_neither_indexer_stats_nor_prowlarr_the_search_says_why(searcher, prowlarr):
    """The stream route turns this into a stream entry that explains (issue 4); here: a typed error."""
    searcher.prowlarr.base_url = "http://127.0.0.1:9"
    with pytest.raises(ProwlarrError) as caught:
        await searcher.search(Wanted(MediaId("tt0133093")))
    assert caught.value.kind == "unreachable"


async def test_when_every_ranked_indexer_is_down_prowlarrs_list_is_searched(searcher, prowlarr):
    """The figures say every indexer is down (or only being probed): rather than no results until they age
    out, each of Prowlarr's own indexers gets its chance."""

    async def all_down(request: RankingRequest) -> RankingReply:
        return RankingReply(indexers=[RankedIndexer(id=2, name="Broken", status="down", timeout_ms=800)])

    for ranking_reply in (all_down, lambda request: RankingReply(indexers=[])):
        prowlarr.searches.clear()

        async def answer(request, reply=ranking_reply):
            result = reply(request)
            return await result if hasattr(result, "__await__") else result

        subscription = await searcher.bus.serve(INDEXER_RANKING_GET, answer)
        try:
            releases = await searcher.search(MATRIX_WANTED)
        finally:
            await subscription.unsubscribe()
        assert [r.title for r in releases] == [MATRIX.title]
        assert {s["indexerIds"][0] for s in prowlarr.searches} == {1, 2, 3}


async def test_once_most_indexers_answer_the_others_get_a_grace_and_their_results_come_later(searcher, prowlarr):
    """Fast and Broken answer at once, Slow (1.5 s, within its 3 s timeout) is not back after the grace: the
    releases go out without it, and Slow's come through `Late` once it answers. Asked without `Late`, the
    search waits for it, as before."""
    searcher.plan = SearchPlan(ranking_timeout=0.2, budget=4.0, default_timeout_ms=3000, grace=0.3)
    arrived: asyncio.Queue[list] = asyncio.Queue()

    async def deliver(releases) -> None:
        await arrived.put(releases)

    late = Late(deliver)
    releases = await searcher.search(MATRIX_WANTED, late)
    assert [r.indexer_id for r in releases] == [1] and late.pending
    later = await asyncio.wait_for(arrived.get(), 10)
    assert [r.indexer_id for r in later] == [3]
    seen = await events(searcher.bus)
    assert seen[3].outcome == "success"  # measured like any other search
    waited = await searcher.search(MATRIX_WANTED)
    assert sorted(r.indexer_id for r in waited) == [1, 3]
