"""Status, timeouts and ranking from figures (pure)."""

import uuid

import pytest

from services.indexer_stats.config import StatsConfig
from services.indexer_stats.repository.indexers import IndexerFigures
from services.indexer_stats.status import ranking, status_of, suggested_timeout_ms

CONFIG = StatsConfig()


def figures(prowlarr_id=1, searches=100, successes=100, avg=200.0, p95=400.0, **kw) -> IndexerFigures:
    values = dict(
        id=uuid.uuid4(),
        prowlarr_id=prowlarr_id,
        name=f"i{prowlarr_id}",
        enabled=True,
        protocol="torrent",
        priority=25,
        supports_imdb=True,
        supports_tv_imdb=False,
        blocked=False,
        window_searches=searches,
        window_successes=successes,
        window_avg_ms=avg,
        requests_24h=searches,
        successes_24h=successes,
        failures_24h=searches - successes,
        timeouts_24h=0,
        avg_ms_24h=avg,
        p50_ms=avg,
        p95_ms=p95,
        idle_seconds=10.0,
        last_ok=successes == searches,
        last_ms=avg,
    )
    values.update(kw)
    return IndexerFigures(**values)


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({}, "operational"),
        ({"avg": 499.0}, "operational"),
        ({"avg": 500.0}, "degraded"),
        ({"avg": 2000.0}, "down"),
        ({"successes": 95}, "operational"),
        ({"successes": 94}, "degraded"),
        ({"successes": 79}, "down"),
        ({"successes": 94, "avg": 2500.0}, "down"),  # the worse of the two
        ({"blocked": True}, "down"),
        ({"searches": 0, "successes": 0, "avg": None}, "operational"),
    ],
)
def test_status(kw, expected):
    assert status_of(figures(**kw), CONFIG) == expected


def test_thresholds_are_configurable():
    strict = StatsConfig(degraded_ms=100, down_ms=300, degraded_success_rate=99, down_success_rate=90)
    assert status_of(figures(avg=150.0), strict) == "degraded"
    assert status_of(figures(successes=89), strict) == "down"


def test_suggested_timeout_is_bounded():
    assert suggested_timeout_ms(figures(p95=2000.0), CONFIG) == 3000
    assert suggested_timeout_ms(figures(p95=100.0), CONFIG) == CONFIG.min_timeout_ms
    assert suggested_timeout_ms(figures(p95=60000.0), CONFIG) == CONFIG.max_timeout_ms
    assert suggested_timeout_ms(figures(p95=None, avg=None), CONFIG) == CONFIG.max_timeout_ms // 2


def test_ranking_orders_and_filters():
    fast = figures(1, avg=100.0)
    slow = figures(2, avg=400.0)
    flaky = figures(3, successes=90, avg=50.0)  # degraded by its success rate
    down = figures(4, avg=3000.0)
    disabled = figures(5, enabled=False)
    usenet = figures(6, protocol="usenet")
    preferred = figures(7, avg=100.0, priority=1)
    ranked = ranking([fast, slow, flaky, down, disabled, usenet, preferred], CONFIG, "torrent")
    assert [r.id for r in ranked] == [7, 1, 2, 3]
    assert ranked[-1].status == "degraded" and ranked[0].supports_imdb
    assert {r.id for r in ranking([fast, usenet], CONFIG, None)} == {1, 6}


def test_a_down_indexer_is_probed_after_a_while_and_ranked_again_when_the_probe_succeeds():
    fast = figures(1, avg=100.0)
    failing = figures(2, successes=50, last_ok=False, idle_seconds=60.0)
    assert [r.id for r in ranking([fast, failing], CONFIG, "torrent")] == [1]  # tried a minute ago: not yet
    waited = figures(2, successes=50, last_ok=False, idle_seconds=CONFIG.probe_after_seconds + 1)
    probe = ranking([fast, waited], CONFIG, "torrent")
    assert [(r.id, r.status) for r in probe] == [(1, "operational"), (2, "down")]  # one probe, after the others
    answered = figures(2, successes=50, last_ok=True, last_ms=300.0, idle_seconds=5.0)
    assert [(r.id, r.status) for r in ranking([fast, answered], CONFIG, "torrent")] == [
        (1, "operational"), (2, "degraded"),
    ]  # fmt: skip
    slow_again = figures(2, avg=3000.0, last_ok=True, last_ms=3100.0, idle_seconds=5.0)  # still too slow
    assert [r.id for r in ranking([fast, slow_again], CONFIG, "torrent")] == [1]
    blocked = figures(2, successes=50, last_ok=False, idle_seconds=10_000.0, blocked=True)  # Prowlarr's say
    assert [r.id for r in ranking([fast, blocked], CONFIG, "torrent")] == [1]


def test_only_going_down_or_coming_back_is_an_alert():
    from services.indexer_stats.stats import indexer_alert

    one = figures()
    assert indexer_alert(one, None, "down") is None  # first seen: nothing was told of it
    assert indexer_alert(one, "operational", "degraded") is None
    assert indexer_alert(one, "down", "down") is None
    assert indexer_alert(one, "degraded", "down").state == "failing"
    back = indexer_alert(one, "down", "degraded")
    assert back.state == "recovered" and back.subject == "indexer:1" and "degraded" in back.title
