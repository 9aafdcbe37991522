"""Every client of an upstream, answered what no upstream should answer — HTML, an empty body, JSON of the
wrong shape, a redirect to itself, an endless body, a body declared too long — says so with its own error (or
its designed fallback), never an exception the service did not expect, and never reads more than the limit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from libs.cinemeta import CinemetaClient
from libs.http import MAX_RESPONSE_BYTES, ResponseTooLarge, http_client
from libs.prowlarr import ProwlarrClient, ProwlarrError
from libs.torbox import TorBoxClient, TorBoxError
from services.notifier.clients import ADAPTERS, ClientConfig, ClientError
from services.notifier.media_servers import MediaServerClient, Target
from services.qbt_shim.arr import ArrError, ArrInstance, ArrRequeue

CHUNK = b"[" * (1 << 20)


async def endless() -> AsyncIterator[bytes]:
    for _ in range(MAX_RESPONSE_BYTES // len(CHUNK) + 8):
        yield CHUNK


def answer(kind: str) -> Callable[[httpx.Request], httpx.Response]:
    def respond(request: httpx.Request) -> httpx.Response:
        if kind == "html":
            return httpx.Response(200, content=b"<html><body>502 Bad Gateway</body></html>")
        if kind == "empty":
            return httpx.Response(200, content=b"")
        if kind == "wrong type":
            return httpx.Response(200, json={"result": "yes", "data": 7, "success": "maybe", "arguments": [1]})
        if kind == "redirect loop":
            return httpx.Response(302, headers={"location": str(request.url)})
        if kind == "endless":
            return httpx.Response(200, content=endless())
        return httpx.Response(200, headers={"content-length": str(MAX_RESPONSE_BYTES + 1)}, content=b"{}")

    return respond


KINDS = ["html", "empty", "wrong type", "redirect loop", "endless", "declared too long"]


def notifier_client(kind: str) -> Callable[[httpx.AsyncClient], Awaitable[object]]:
    async def call(http: httpx.AsyncClient):
        config = ClientConfig("c1", kind, "Box", "127.0.0.1", 1, False, "key", "user", "pass", "tv")
        adapter = ADAPTERS[kind](config, http)
        adapter.http = http
        if hasattr(adapter, "_own"):
            adapter._own = http  # qBittorrent keeps its own session client: the same fake behind it
        return await adapter.items()

    return call


async def media_server(http: httpx.AsyncClient):
    result = await MediaServerClient(http).test(Target("Jellyfin", "http://jellyfin.invalid", "key"))
    if not result.ok:
        raise RuntimeError(result.error)  # the settings page shows this message
    return result


CLIENTS: dict[str, tuple[Callable[[httpx.AsyncClient], Awaitable[object]], tuple[type[Exception], ...]]] = {
    "prowlarr search": (
        lambda http: ProwlarrClient(http, "http://prowlarr.invalid", "k").search("x", "movie", [1], 5),
        (ProwlarrError,),
    ),
    "torbox mylist": (lambda http: TorBoxClient(http, "http://torbox.invalid").torrents("k"), (TorBoxError,)),
    "torbox cache check": (
        lambda http: TorBoxClient(http, "http://torbox.invalid").check_cached("k", ["a" * 40]),
        (TorBoxError,),
    ),
    "jellyfin": (media_server, (RuntimeError,)),
    "sonarr queue": (
        lambda http: ArrRequeue(http, {}).requeue(ArrInstance("http://sonarr.invalid", "k"), "a" * 40),
        (ArrError, httpx.HTTPStatusError, ResponseTooLarge),
    ),
    **{f"notifier {kind}": (notifier_client(kind), (ClientError,)) for kind in sorted(ADAPTERS)},
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("client", sorted(CLIENTS))
async def test_an_upstream_answering_nonsense_is_that_clients_own_error(client, kind):
    call, expected = CLIENTS[client]
    async with http_client("tests", transport=httpx.MockTransport(answer(kind))) as http:
        try:
            result = await call(http)
        except expected as error:
            assert "Traceback" not in str(error)
            return
    # no error: only where an empty or odd answer is a fine answer (nothing in the list)
    assert kind in ("wrong type", "empty", "html") and result in ([], {}), (client, kind, result)


async def test_cinemeta_nonsense_is_no_title_and_the_stream_list_goes_on():
    for kind in KINDS:
        async with http_client("tests", transport=httpx.MockTransport(answer(kind))) as http:
            assert await CinemetaClient(http, "http://cinemeta.invalid").title("movie", "tt0133093") is None, kind


async def test_no_answer_is_read_past_the_limit():
    async with http_client("tests", transport=httpx.MockTransport(answer("endless"))) as http:
        with pytest.raises(ResponseTooLarge):
            await http.get("http://upstream.invalid/")
        async with http.stream("GET", "http://upstream.invalid/") as response:
            read = 0
            with pytest.raises(ResponseTooLarge):
                async for chunk in response.aiter_bytes():
                    read += len(chunk)
            assert read <= MAX_RESPONSE_BYTES
