"""The NATS edge, beside the HTTP one (routes.py): the ranking stream-proxy asks for before each search, and
the searches it reports, each handler reading the service start-up built (`state.indexers`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from starlette.datastructures import State

from libs.bus import Answer, Consume
from libs.schemas import INDEXER_RANKING_GET, INDEXER_SEARCH, IndexerSearch, RankingReply, RankingRequest

if TYPE_CHECKING:
    from .app import IndexerStats


def indexers_of(state: State) -> IndexerStats:
    return state.indexers


async def ranking(state: State, request: RankingRequest) -> RankingReply:
    return indexers_of(state).stats.rank(request)  # from memory: asked on every first search


async def store_searches(state: State, events: Sequence[IndexerSearch]) -> None:
    await indexers_of(state).ingest.store(events)


HANDLERS = [
    Answer(INDEXER_RANKING_GET, ranking),
    # two fetch loops on the one durable: one writes a batch while the other fetches the next
    Consume(
        subject=INDEXER_SEARCH,
        durable="indexer-stats-searches",
        handler=store_searches,
        batch=500,
        fetch_timeout=0.5,
        workers=2,
    ),
]
