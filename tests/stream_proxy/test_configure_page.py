"""The configure page in headless Chromium (driven by playwright-core): the link it builds installs."""

import json
import uuid

import httpx
import pytest

from libs.schemas.stremio import AddonConfig, StoreConfig
from services.stream_proxy.addon_config import decode_config, encode_config
from services.stream_proxy.app import build
from tests.support.asgi import serving
from tests.support.browser import drive


async def fill(url: str, choices: dict) -> dict:
    """The configure page filled in Chromium as a user would (tests/node/configure_page.js)."""
    return await drive("configure_page.js", url, json.dumps(choices))


@pytest.fixture
async def addon(settings):
    async with serving(build(settings)) as base, httpx.AsyncClient(base_url=base) as client:
        yield base, client


async def test_a_token_configuration_installs(addon):
    base, client = addon
    shown = await fill(
        f"{base}/stremio/torz/configure",
        {
            "mode": "token",
            "token": "tb_my_token_1234",
            "resolutions": ["1080p", "720p"],
            "maxSizeGb": 15,
            "languages": "en, fr",
            "exclude": ["cam", "telesync", "3d"],
            "keywords": "YIFY, HDTS",
            "preferLanguages": "fr",
            "sort": "balanced",
        },
    )
    assert shown["error"] == "" and shown["installUrl"].startswith(f"{base}/stremio/torz/")
    assert shown["stremioLink"] == shown["installUrl"].replace("http:", "stremio:", 1)
    config = decode_config(shown["installUrl"].split("/")[-2])
    assert config.stores[0].t == "tb_my_token_1234" and config.filters.resolutions == ["1080p", "720p"]
    assert config.filters.max_size_gb == 15 and config.filters.languages == ["en", "fr"]
    assert config.filters.exclude == ["cam", "telesync", "3d"] and config.filters.exclude_keywords == ["YIFY", "HDTS"]
    assert config.filters.prefer_languages == ["fr"] and config.filters.sort == "balanced"
    manifest = await client.get(shown["installUrl"])
    assert manifest.status_code == 200 and manifest.json()["name"] == "Chillproxy | TB"


async def test_a_pool_account_configuration_installs(addon):
    base, client = addon
    account = str(uuid.uuid4())
    shown = await fill(f"{base}/stremio/torz/configure", {"mode": "pool", "auth": account})
    assert not shown["tokenFieldVisible"]
    assert decode_config(shown["installUrl"].split("/")[-2]).stores[0].auth == account
    assert (await client.get(shown["installUrl"])).json()["name"] == "Chillproxy | TB pool"


async def test_mistakes_are_shown_not_built(addon):
    base, _ = addon
    shown = await fill(f"{base}/stremio/torz/configure", {"mode": "pool", "auth": "my name"})
    assert "uuid" in shown["error"] and shown["installUrl"] == ""
    shown = await fill(f"{base}/stremio/torz/configure", {"mode": "token", "token": "x"})
    assert "looks wrong" in shown["error"] and shown["installUrl"] == ""


async def test_reconfiguring_keeps_the_account_but_never_a_token(addon):
    _, client = addon
    account = str(uuid.uuid4())

    with_account = encode_config(AddonConfig(stores=[StoreConfig(c="tb", auth=account)]))
    assert f'value="{account}"' in (await client.get(f"/stremio/torz/{with_account}/configure")).text
    with_token = encode_config(AddonConfig(stores=[StoreConfig(c="tb", t="tb_secret_token_99")]))
    assert "tb_secret_token_99" not in (await client.get(f"/stremio/torz/{with_token}/configure")).text
    assert (await client.get("/stremio/torz/%25%25/configure")).status_code == 200
