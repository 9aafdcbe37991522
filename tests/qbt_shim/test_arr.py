"""A torrent TorBox reports dead is removed from its Sonarr's queue with blocklist, so Sonarr searches again."""

import json

import httpx
import pytest

from services.qbt_shim.app import build
from services.qbt_shim.arr import parse_instances
from tests.fakes.arr import FakeArr
from tests.support.asgi import eventually, serving, serving_fake

from .conftest import MOVIE, PASSWORD, SHIM_CONFIG, UNCACHED, magnet, shim_settings


@pytest.fixture(params=["sonarr", "radarr"])
async def sonarr(request):
    fake = FakeArr(kind=request.param)
    async with serving_fake(fake):
        yield fake


async def test_a_dead_torrent_is_blocklisted_in_its_categorys_sonarr(tmp_path, fresh_dsn, nats_url, torbox, sonarr):
    instances = {"tv-sonarr": {"url": sonarr.base_url, "apiKey": sonarr.api_key}}
    settings = shim_settings(tmp_path, fresh_dsn, nats_url, torbox, QBT_ARR_INSTANCES=json.dumps(instances))
    torbox.dead.add(UNCACHED[0])
    sonarr.grab(MOVIE[0], "someone else's download")
    sonarr.grab(UNCACHED[0], UNCACHED[1], unknown=True)  # grabbed by hand: in the queue as "unknown"
    async with serving(build(settings, SHIM_CONFIG)) as base, httpx.AsyncClient(base_url=base) as client:
        await client.post("/api/v2/auth/login", data={"username": "admin", "password": PASSWORD})
        await client.post("/api/v2/torrents/add", data={"urls": magnet(UNCACHED), "category": "tv-sonarr"})
        await client.post("/api/v2/torrents/add", data={"urls": magnet(MOVIE), "category": "movies"})
        await eventually(lambda: sonarr.removed, timeout=15)
    assert sonarr.removed == [
        {"id": 2, "downloadId": UNCACHED[0].upper(), "removeFromClient": "true", "blocklist": "true"}
    ]
    assert [q["downloadId"] for q in sonarr.queue] == [MOVIE[0].upper()]  # only the dead one


def test_a_bad_configuration_stops_the_start_with_a_sentence():
    with pytest.raises(SystemExit, match="QBT_ARR_INSTANCES"):
        parse_instances("{not json")
    with pytest.raises(SystemExit, match="must start with http"):
        parse_instances('{"tv": {"url": "sonarr:8989", "apiKey": "k"}}')
    assert parse_instances(None) == {}
