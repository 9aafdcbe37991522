"""The Cinemeta client against the fake: titles, years, the cache, and failures as "no title"."""

import httpx
import pytest

from libs.cinemeta import CinemetaClient, Title
from tests.fakes.cinemeta import FakeCinemeta
from tests.support.asgi import serving_fake


@pytest.fixture
async def cinemeta():
    fake = FakeCinemeta()
    async with serving_fake(fake), httpx.AsyncClient() as http:
        yield fake, CinemetaClient(http, fake.base_url)


async def test_titles_and_years_are_cached(cinemeta):
    fake, client = cinemeta
    assert await client.title("movie", "tt0133093") == Title("The Matrix", 1999)
    assert await client.title("series", "tt0944947") == Title("Game of Thrones", 2011)
    assert await client.title("movie", "tt0133093") == Title("The Matrix", 1999)
    assert fake.calls == 2


async def test_unknown_and_failing_mean_no_title(cinemeta):
    fake, client = cinemeta
    assert await client.title("movie", "tt9999999") is None
    fake.down = True
    assert await client.title("movie", "tt1234567") is None
    fake.down = False
    assert await client.title("movie", "tt1234567") is None  # asked again: a failure is not cached
    assert fake.calls == 3
    unreachable = CinemetaClient(client.http, "http://127.0.0.1:9")
    assert await unreachable.title("movie", "tt0133093") is None
