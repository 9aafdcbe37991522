"""Status and ranking, pure: from an indexer's figures to operational / degraded / down, and the order in
which stream-proxy should ask them."""

from __future__ import annotations

from libs.schemas import IndexerStatus, RankedIndexer

from .config import StatsConfig
from .repository.indexers import IndexerFigures


def success_rate(figures: IndexerFigures) -> float | None:
    """Percent of the window's searches that succeeded; None before the first search."""
    if not figures.window_searches:
        return None
    return 100.0 * figures.window_successes / figures.window_searches


def status_of(figures: IndexerFigures, config: StatsConfig) -> IndexerStatus:
    """The worse of what the response time and the success rate say; down while Prowlarr blocks it."""
    if figures.blocked:
        return "down"
    rate = success_rate(figures)
    if rate is None:
        return "operational"  # nothing measured yet: give it its chance
    average = figures.window_avg_ms or 0.0
    if average >= config.down_ms or rate < config.down_success_rate:
        return "down"
    if average >= config.degraded_ms or rate < config.degraded_success_rate:
        return "degraded"
    return "operational"


def suggested_timeout_ms(figures: IndexerFigures, config: StatsConfig) -> int:
    """Room for the slow end of what this indexer usually takes: 1.5 × its p95, within bounds."""
    reference = figures.p95_ms or figures.window_avg_ms
    if reference is None:
        return config.max_timeout_ms // 2
    return int(min(config.max_timeout_ms, max(config.min_timeout_ms, 1.5 * reference)))


def _half_open(figures: IndexerFigures, config: StatsConfig) -> IndexerStatus | None:
    """What a down indexer (that Prowlarr does not block) is offered as, as a breaker that half-opens: once
    its last search is `probe_after_seconds` old, one search probes it (last, as down); when that probe
    succeeded, it is ranked again as degraded while its window recovers. None: it sits this one out."""
    if figures.blocked:
        return None
    if figures.last_ok and (figures.last_ms or 0) < config.down_ms:
        return "degraded"
    if figures.idle_seconds is None or figures.idle_seconds >= config.probe_after_seconds:
        return "down"
    return None


_ORDER = {"operational": 0, "degraded": 1, "down": 2}


def ranking(figures: list[IndexerFigures], config: StatsConfig, protocol: str | None) -> list[RankedIndexer]:
    """Enabled indexers that are not down, best first: operational before degraded, then the more
    reliable, then the faster, then Prowlarr's own priority (lower is preferred); a down one only to be
    probed again (see `_half_open`), after all the others."""
    ranked = []
    for f in figures:
        if not f.enabled or (protocol is not None and f.protocol != protocol):
            continue
        status = status_of(f, config)
        if status == "down":
            status = _half_open(f, config)
            if status is None:
                continue
        rate = success_rate(f)
        key = (
            _ORDER[status],
            -(rate if rate is not None else 100.0),
            f.window_avg_ms or 0.0,
            f.priority,
            f.prowlarr_id,
        )
        ranked.append((key, f, status))
    ranked.sort(key=lambda item: item[0])
    return [
        RankedIndexer(
            id=f.prowlarr_id,
            name=f.name,
            status=status,
            timeout_ms=suggested_timeout_ms(f, config),
            supports_imdb=f.supports_imdb,
            supports_tv_imdb=f.supports_tv_imdb,
        )
        for _, f, status in ranked
    ]
