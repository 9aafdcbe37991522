import httpx

from libs.http import http_client


async def test_outgoing_calls_are_traced_and_carry_traceparent(spans):
    seen: list[httpx.Request] = []

    def upstream(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503 if request.url.path == "/down" else 200, json={})

    async with http_client("tests", transport=httpx.MockTransport(upstream)) as client:
        await client.get("https://api.torbox.app/v1/api/user/me?token=secret-in-query")
        await client.get("https://api.torbox.app/down")

    (ok, down) = [s for s in spans.get_finished_spans() if s.name == "GET api.torbox.app"]
    assert seen[0].headers["traceparent"].split("-")[1] == format(ok.context.trace_id, "032x")
    assert ok.attributes["http.response.status_code"] == 200
    assert "secret-in-query" not in str(dict(ok.attributes))
    assert down.status.status_code.name == "ERROR"


async def test_redirects_are_not_followed():
    def upstream(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"location": "magnet:?xt=urn:btih:abc"})

    async with http_client("tests", transport=httpx.MockTransport(upstream)) as client:
        response = await client.get("https://indexer/download")
    assert response.status_code == 301 and response.headers["location"].startswith("magnet:")
