"""Every public route of every service, asked with no token, a wrong token, an oversized body and malformed
input: always a 4xx (or the protocol's own answer), never a 5xx, and no secret in any answer or log line."""

import re
from contextlib import AsyncExitStack

import httpx
from starlette.routing import Route

from services.indexer_stats.app import build as build_stats
from services.notifier.app import build as build_notifier
from services.pool_allocator.app import build as build_pool
from services.pool_allocator.config import PoolConfig
from services.qbt_shim.app import build as build_shim
from services.stream_proxy.app import build as build_proxy
from tests.conftest import make_settings
from tests.support.asgi import serving

HEADERS = (
    {},
    {"Authorization": "Bearer wrong-token"},
    {"Authorization": "Basic d3Jvbmc6d3Jvbmc="},
    {"X-Internal-Api-Key": "wrong"},
)
PARAM = re.compile(r"\{([^}:]+)(:[^}]+)?\}")
JUNK_VALUES = {"int": "999999", "path": "x/../../etc/passwd"}


def concrete(path: str) -> list[str]:
    """The route with junk in each parameter: a word, a uuid-looking string, an overlong one."""
    fills = ["junk", "00000000-0000-0000-0000-000000000000", "%00%ff" + "a" * 3000]
    return [PARAM.sub(lambda m, fill=fill: JUNK_VALUES.get((m.group(2) or ":")[1:], fill), path) for fill in fills]


async def test_no_route_answers_bad_input_with_a_5xx_or_a_secret(tmp_path, fresh_dsn, nats_url, log_lines):
    settings = make_settings(
        tmp_path,
        DATABASE_URL=fresh_dsn,
        NATS_URL=nats_url,
        QBT_TORBOX_TOKEN="tb_sweep_token_000000001",
        PROWLARR_URL="http://127.0.0.1:9",
        PROWLARR_API_KEY="prowlarr-secret-key-000001",
        DOWNLOAD_ROOT=str(tmp_path / "downloads"),
    )
    secrets = [settings.secret_key, settings.admin_token, settings.internal_api_key, settings.qbt_password,
               "tb_sweep_token_000000001", "prowlarr-secret-key-000001"]  # fmt: skip
    apps = [
        build_pool(settings, PoolConfig(bcrypt_rounds=4, health_interval_seconds=3600)),
        build_stats(settings),
        build_proxy(settings),
        build_notifier(settings),
        build_shim(settings),
    ]
    oversized = b"{" + b'"a":"' + b"x" * (settings.max_body_bytes + 10) + b'"}'
    attempts = []
    async with AsyncExitStack() as stack:
        for app in apps:
            base = await stack.enter_async_context(serving(app))
            client = await stack.enter_async_context(httpx.AsyncClient(base_url=base, timeout=30))
            for route in app.routes:
                if not isinstance(route, Route):
                    continue
                for path in concrete(route.path):
                    for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
                        for headers in HEADERS:
                            for body in (None, b"{not json", oversized, b'{"unexpected": ["shape"]}'):
                                if body is not None and method == "GET":
                                    continue
                                response = await client.request(method, path, headers=headers, content=body)
                                attempts.append((method, route.path, response.status_code))
                                assert response.status_code < 500, (method, path[:80], headers, response.text[:300])
                                for secret in secrets:
                                    assert secret not in response.text, (method, path[:80])
                                    assert secret not in response.headers.get("location", "")
    assert len(attempts) > 500  # the sweep really went through the routes
    logged = log_lines.text()
    logged_routes = [a for a in attempts if a[1] != "/health"]  # health probes are not logged
    assert logged.count('"event":"request"') >= len(logged_routes)  # every attempt was logged...
    for secret in secrets:
        assert secret not in logged  # ... and no log line holds a secret
