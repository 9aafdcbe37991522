"""A first-ever search does not wait out one slow indexer: once most indexers have answered, the others get a
short grace, the list goes out, and what the slow one finds is there for the next request."""

import uuid

import pytest

from services.stream_proxy.config import StreamConfig
from tests.fakes.catalogue import MATRIX
from tests.support.asgi import eventually

from .test_streams import titles

SLOW_RELEASE = "The.Matrix.1999.1080p.WEB-DL.DDP5.1-SLOW"  # only the Slow indexer (3 s) has it


@pytest.fixture
def stream_config() -> StreamConfig:
    """The slow indexer within its timeout and the budget: only the grace leaves it out of the first list."""
    return StreamConfig(
        indexer_timeout_ms=5000,
        search_budget_seconds=8.0,
        search_grace_seconds=0.5,
        cache_namespace=f"-{uuid.uuid4().hex[:8]}",
    )


async def test_the_first_list_goes_out_without_the_slow_indexer_and_the_next_has_its_release(addon):
    first = titles(await addon.streams("movie", MATRIX))
    assert first and SLOW_RELEASE not in first

    async def with_slow() -> bool:
        return SLOW_RELEASE in titles(await addon.streams("movie", MATRIX))

    await eventually(with_slow, timeout=15, interval=0.5)
    slow_searches = [s for s in addon.prowlarr.searches if s["indexerIds"] == [2]]
    assert len(slow_searches) == 1  # searched once: the later lists came from the shared cache
