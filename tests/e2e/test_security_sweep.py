"""Every public route of every service, asked with no token, a wrong token, an oversized body and malformed
input: always a 4xx (or the protocol's own answer), never a 5xx, and no secret in any answer or log line."""

import base64
import re
import uuid
from contextlib import AsyncExitStack

import httpx
from starlette.routing import Mount, Route

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


def every_route(routes, prefix: str = ""):
    """(full path, route) of every Route, those inside Mounts included."""
    for route in routes:
        if isinstance(route, Mount):
            yield from every_route(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            yield prefix + route.path, route


def concrete(path: str) -> list[str]:
    """The route with junk in each parameter: a word, a uuid-looking string, an overlong one."""
    fills = ["junk", "00000000-0000-0000-0000-000000000000", "%00%ff" + "a" * 3000]
    return [PARAM.sub(lambda m, fill=fill: JUNK_VALUES.get((m.group(2) or ":")[1:], fill), path) for fill in fills]


def sweep_settings(tmp_path, fresh_dsn, nats_url, **env):
    return make_settings(
        tmp_path,
        DATABASE_URL=fresh_dsn,
        NATS_URL=nats_url,
        QBT_TORBOX_TOKEN="tb_sweep_token_000000001",
        PROWLARR_URL="http://127.0.0.1:9",
        PROWLARR_API_KEY="prowlarr-secret-key-000001",
        DOWNLOAD_ROOT=str(tmp_path / "downloads"),
        **env,
    )


def every_app(settings):
    return [
        build_pool(settings, PoolConfig(bcrypt_rounds=4, health_interval_seconds=3600)),
        build_stats(settings),
        build_proxy(settings),
        build_notifier(settings),
        build_shim(settings),
    ]


async def test_no_route_answers_bad_input_with_a_5xx_or_a_secret(tmp_path, fresh_dsn, nats_url, log_lines):
    settings = sweep_settings(tmp_path, fresh_dsn, nats_url)
    secrets = [settings.secret_key, settings.admin_token, settings.internal_api_key, settings.qbt_password,
               "tb_sweep_token_000000001", "prowlarr-secret-key-000001"]  # fmt: skip
    apps = every_app(settings)
    oversized = b"{" + b'"a":"' + b"x" * (settings.max_body_bytes + 10) + b'"}'
    attempts = []
    async with AsyncExitStack() as stack:
        for app in apps:
            base = await stack.enter_async_context(serving(app))
            client = await stack.enter_async_context(httpx.AsyncClient(base_url=base, timeout=30))
            for full_path, route in every_route(app.routes):
                for path in concrete(full_path):
                    for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
                        for headers in HEADERS:
                            for body in (None, b"{not json", oversized, b'{"unexpected": ["shape"]}'):
                                if body is not None and method == "GET":
                                    continue
                                response = await client.request(method, path, headers=headers, content=body)
                                attempts.append((method, full_path, response.status_code))
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


DEEP = b'{"unknown": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"  # skipping it recursed as deep


def hostile_requests(settings) -> list[tuple[int, str, str, dict, dict]]:
    """(service index, method, path, request keywords, what the answer must be) of values that get past the
    login: NUL characters in stored text, non-ASCII digits, a password bcrypt cannot take, JSON 100,000 deep."""
    admin = {"Authorization": f"Bearer {settings.admin_token}"}
    internal = {"X-Internal-Api-Key": settings.internal_api_key}
    qbt = {"Authorization": "Basic " + base64.b64encode(f"admin:{settings.qbt_password}".encode()).decode()}
    user = {"email": "ann@example.com", "password": "long enough"}
    sab = {"type": "sabnzbd", "name": "SAB", "host": "sab", "port": 8080, "apiKey": "sab-key-0000001"}
    usage = {"userId": str(uuid.uuid4()), "poolKeyId": str(uuid.uuid4()), "action": "play"}
    magnet = "magnet:?xt=urn:btih:" + "c" * 40
    json_routes = [
        (0, "POST", "/pool/keys", admin), (0, "POST", "/pool/users", admin),
        (0, "PATCH", f"/pool/users/{uuid.uuid4()}", admin), (0, "PATCH", f"/pool/keys/{uuid.uuid4()}", admin),
        (0, "POST", "/api/v1/internal/pool/log-usage", internal),
        (0, "POST", "/api/v1/internal/pool/get-key", internal),
        (3, "PATCH", "/settings/integrations", admin), (3, "POST", "/downloads/clients", admin),
        (3, "POST", "/downloads", admin), (3, "POST", "/downloads/grab", admin),
    ]  # fmt: skip
    cases = [(i, m, p, {"headers": h, "content": DEEP}, {"status": 400}) for i, m, p, h in json_routes]
    cases += [
        (0, "POST", "/pool/keys", {"headers": admin, "json": {"apiKey": "tb\u0000key-0000000001"}}, {"status": 422}),
        (0, "POST", "/pool/keys", {"headers": admin, "json": {"apiKey": "tb-key-00000000001", "label": "a\u0000"}},
         {"status": 422}),
        (0, "POST", "/pool/users", {"headers": admin, "json": user | {"email": "a\u0000@example.com"}},
         {"status": 422}),
        (0, "POST", "/pool/users", {"headers": admin, "json": user | {"password": "\u00e9" * 40}},
         {"status": 422, "field": "password"}),
        (0, "GET", "/pool/keys/%00", {"headers": admin}, {"status": 400}),
        (0, "POST", "/api/v1/internal/pool/log-usage", {"headers": internal, "json": usage | {"streamType": "s" * 40}},
         {"status": 422, "field": "streamType"}),
        (0, "POST", "/api/v1/internal/pool/log-usage", {"headers": internal, "json": usage | {"bytes": 2**63}},
         {"status": 422, "field": "bytes"}),
        (1, "GET", "/indexers/api/indexers/1/hours?hours=\u00b2", {"headers": admin},
         {"status": 422, "field": "hours"}),
        (1, "GET", "/indexers/api/indexers/\u0663/hours", {"headers": admin}, {"status": 400}),
        (3, "PATCH", "/settings/integrations", {"headers": admin, "json": {"jellyfin": {"url": "http://j\u0000"}}},
         {"status": 422}),
        (3, "POST", "/downloads/clients", {"headers": admin, "json": sab | {"name": "S\u0000B"}}, {"status": 422}),
        (3, "POST", "/downloads", {"headers": admin, "json": {"clientId": "x", "title": "a\u0000"}}, {"status": 422}),
        (3, "DELETE", "/downloads/clients/%00", {"headers": admin}, {"status": 400}),
        (4, "POST", "/api/v2/torrents/createCategory", {"headers": qbt, "data": {"category": "tv\u0000"}},
         {"status": 400}),
        (4, "POST", "/api/v2/torrents/add", {"headers": qbt, "data": {"urls": magnet, "category": "tv\u0000"},
                                             "files": {"nothing": ("x", b"")}}, {"status": 400}),
        (4, "POST", "/api/v2/torrents/add", {"headers": qbt, "data": {"urls": magnet, "tags": "a\u0000"}},
         {"status": 400}),
        (4, "GET", "/api/v2/torrents/info?category=%00", {"headers": qbt}, {"status": 400}),
        (4, "GET", "/api/v2/torrents/info?limit=\u0663", {"headers": qbt}, {"status": 400}),
    ]  # fmt: skip
    return cases


async def test_hostile_values_past_the_login_are_refused_never_a_5xx(tmp_path, fresh_dsn, nats_url):
    settings = sweep_settings(tmp_path, fresh_dsn, nats_url)
    apps = every_app(settings)
    async with AsyncExitStack() as stack:
        clients = []
        for app in apps:
            base = await stack.enter_async_context(serving(app))
            clients.append(await stack.enter_async_context(httpx.AsyncClient(base_url=base, timeout=30)))
        for index, method, path, keywords, expected in hostile_requests(settings):
            response = await clients[index].request(method, path, **keywords)
            assert response.status_code == expected["status"], (method, path, response.text[:300])
            if "field" in expected:
                assert response.json()["field"] == expected["field"], (path, response.text)
        qbt = clients[4]
        qbt.headers["Authorization"] = hostile_requests(settings)[-1][3]["headers"]["Authorization"]
        assert (await qbt.get("/api/v2/torrents/info")).json() == []  # nothing was stored by the refused adds


async def test_nobody_in_who_should_not_be(tmp_path, fresh_dsn, nats_url):
    """Items 6–10 of the hardening, across the services as they run: guesses with header credentials are
    banned like logins, cookies and admin changes stay on their own site, a stored secret never follows a
    changed address, and no link is built from a Host header a client made up (9, the pool's cap on a
    remembered link, needs the fakes: tests/stream_proxy/test_pool_mode.py)."""
    # the test's own address is nobody's proxy here: it is a client
    settings = sweep_settings(tmp_path, fresh_dsn, nats_url, TRUSTED_PROXIES="10.255.255.1/32")
    apps = every_app(settings)
    basic_admin = {"Authorization": "Basic " + base64.b64encode(f"x:{settings.admin_token}".encode()).decode()}
    async with AsyncExitStack() as stack:
        bases = [await stack.enter_async_context(serving(app)) for app in apps]
        client = await stack.enter_async_context(httpx.AsyncClient(timeout=30))
        _, _, proxy, notifier, shim = bases
        # 6: five wrong passwords by Basic, on any route, and the right one no longer opens
        wrong = {"Authorization": "Basic " + base64.b64encode(b"admin:guess").decode()}
        for path in ("torrents/info", "app/version", "torrents/categories", "transfer/info", "app/preferences"):
            assert (await client.get(f"{shim}/api/v2/{path}", headers=wrong)).status_code == 403
        right = {"Authorization": "Basic " + base64.b64encode(f"admin:{settings.qbt_password}".encode()).decode()}
        banned = await client.get(f"{shim}/api/v2/torrents/info", headers=right)
        assert banned.status_code == 403 and "banned" in banned.text
        # 7: cookies no other site can use, and no admin change from another site's page
        async with httpx.AsyncClient(timeout=30) as fresh:
            login = await fresh.post(f"{shim}/api/v2/auth/login", headers={"X-Forwarded-For": "203.0.113.1"},
                                     data={"username": "admin", "password": settings.qbt_password})  # fmt: skip
        assert "SameSite=Strict" in login.headers.get("set-cookie", "") and "HttpOnly" in login.headers["set-cookie"]
        cross = basic_admin | {"Origin": "http://evil.example"}
        for url, body in ((f"{notifier}/settings/integrations", {"coalesceSeconds": 5}),):
            assert (await client.patch(url, json=body, headers=cross)).status_code == 403
        # 8: a client's stored key does not go to its new address unasked
        sab = {"type": "sabnzbd", "name": "SAB", "host": "sab", "port": 8080, "apiKey": "k" * 16}
        added = await client.post(f"{notifier}/downloads/clients", headers=basic_admin, json=sab)
        assert added.status_code == 201, added.text
        moved = await client.patch(f"{notifier}/downloads/clients/{added.json()['id']}", headers=basic_admin,
                                   json={"host": "attacker.example", "apiKey": added.json()["apiKey"]})  # fmt: skip
        assert (moved.status_code, moved.json()["field"]) == (422, "apiKey")
        # 10: the links in a stream answer never come from the Host header a client sent
        config = base64.urlsafe_b64encode(b'{"stores":[{"c":"tb","t":"tb_user_token_0001"}]}').decode().rstrip("=")
        listed = await client.get(
            f"{proxy}/stremio/torz/{config}/stream/movie/tt0133093.json",
            headers={"Host": "evil.example", "X-Forwarded-Host": "evil.example"},
        )
        assert listed.status_code == 200 and "evil.example" not in listed.text
        assert "Prowlarr cannot be reached" in listed.json()["streams"][0]["description"]  # said, not a 500
        assert proxy.removeprefix("http://") in listed.text  # the address the request really reached
