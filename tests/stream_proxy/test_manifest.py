"""The add-on's manifests over HTTP, with the CORS headers Stremio needs."""

import asyncio
import json
import uuid
from pathlib import Path

import httpx
import pytest

from libs.schemas.stremio import AddonConfig, StoreConfig
from services.stream_proxy.addon_config import encode_config
from services.stream_proxy.app import build
from tests.support.asgi import serving

LINTER = Path(__file__).resolve().parents[1] / "node" / "lint_manifest.js"


@pytest.fixture
async def addon(settings):
    async with serving(build(settings)) as base, httpx.AsyncClient(base_url=base) as client:
        yield client


async def test_the_unconfigured_manifest_asks_for_configuration(addon):
    response = await addon.get("/stremio/torz/manifest.json", headers={"Origin": "https://web.stremio.com"})
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "*"
    body = response.json()
    for key in ("id", "name", "description", "version", "resources", "types", "catalogs"):
        assert key in body
    assert body["behaviorHints"] == {"configurable": True, "configurationRequired": True, "adult": False, "p2p": False}
    assert body["resources"] == [{"name": "stream", "types": ["movie", "series"], "idPrefixes": ["tt"]}]
    assert body["catalogs"] == [] and body["idPrefixes"] == ["tt"]


@pytest.mark.parametrize(
    ("store", "name"),
    [
        ({"c": "tb", "t": "tb_token_12345678"}, "Chillproxy | TB"),
        ({"c": "tb", "auth": str(uuid.uuid4())}, "Chillproxy | TB pool"),
    ],
)
async def test_a_configured_manifest(addon, store, name):
    config = encode_config(AddonConfig(stores=[StoreConfig(**store)]))
    body = (await addon.get(f"/stremio/torz/{config}/manifest.json")).json()
    assert body["name"] == name and body["behaviorHints"]["configurationRequired"] is False


async def test_a_bad_config_is_a_400_that_says_why_and_never_echoes_it(addon):
    response = await addon.get("/stremio/torz/bm90IGpzb24/manifest.json")  # "not json"
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_config" and "not JSON" in response.json()["message"]
    assert "bm90IGpzb24" not in response.text


async def test_cors_preflight(addon):
    response = await addon.options(
        "/stremio/torz/manifest.json",
        headers={"Origin": "https://web.stremio.com", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "*"


async def test_the_manifests_pass_the_stremio_addon_linter(addon):
    """stremio-addon-linter (npm, pinned in tests/node) on both manifests."""
    script = LINTER
    config = encode_config(AddonConfig(stores=[StoreConfig(c="tb", t="tb_token_12345678")]))
    for path in ("/stremio/torz/manifest.json", f"/stremio/torz/{config}/manifest.json"):
        body = (await addon.get(path)).content
        node = await asyncio.create_subprocess_exec(
            "node", str(script), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await node.communicate(body)
        verdict = json.loads(out)
        assert verdict == {"valid": True, "errors": [], "warnings": []}, (path, verdict)
