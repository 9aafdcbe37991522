from contextlib import asynccontextmanager

import httpx
import msgspec
import pytest
from starlette.requests import Request
from starlette.routing import Route

from libs import errors
from libs.web import ApiError, create_app, json_response, read_json, require_bearer, runtime_of
from tests.support.asgi import serving


class Thing(msgspec.Struct, forbid_unknown_fields=True, rename="camel"):
    name: str
    size_bytes: int
    tags: list[str] = []


async def create_thing(request: Request):
    require_bearer(request, runtime_of(request).settings.admin_token)
    thing = await read_json(request, Thing)
    return json_response(thing, 201)


async def explode(request: Request):
    raise RuntimeError("internal detail that must not leak")


async def conflict(request: Request):
    raise ApiError(409, "that name is taken", field="name")


async def refused(request: Request):
    """A service's decision refusing in its own words: the kind named in the path."""
    kind = getattr(errors, request.path_params["kind"])
    raise kind(f"refused as {kind.__name__}", field="thing")


async def with_state(request: Request):
    return json_response({"part": request.state.part})


@asynccontextmanager
async def setup(runtime):
    yield {"part": "built at start-up"}


@pytest.fixture
async def client(settings):
    app = create_app(
        "web-test",
        settings,
        routes=[
            Route("/things", create_thing, methods=["POST"]),
            Route("/explode", explode),
            Route("/conflict", conflict),
            Route("/refused/{kind}", refused),
            Route("/state", with_state),
        ],
        setup=setup,
        max_body_bytes=1024,
    )
    async with serving(app) as base, httpx.AsyncClient(base_url=base) as client:
        client.headers["Authorization"] = f"Bearer {settings.admin_token}"
        yield client


async def test_health_reports_database_and_nats(client):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "service": "web-test",
        "checks": {"database": {"ok": True}, "nats": {"ok": True}},
    }


async def test_a_valid_body_is_decoded(client):
    response = await client.post("/things", json={"name": "a", "sizeBytes": 3})
    assert response.status_code == 201
    assert response.json() == {"name": "a", "sizeBytes": 3, "tags": []}


async def test_unknown_path_is_a_json_404(client):
    response = await client.get("/nope/nothing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == "not_found"


async def test_wrong_method_is_a_json_405(client):
    response = await client.get("/things")
    assert response.status_code == 405 and response.json()["error"] == "method_not_allowed"


async def test_malformed_json_is_400(client):
    response = await client.post("/things", content=b'{"name": ', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {"error": "malformed_json", "message": "request body is not valid JSON"}


async def test_empty_body_is_400(client):
    response = await client.post("/things", content=b"")
    assert response.status_code == 400 and response.json()["error"] == "malformed_json"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "a", "sizeBytes": "big"}, "sizeBytes"),
        ({"sizeBytes": 1}, "name"),
        ({"name": "a", "sizeBytes": 1, "tags": ["x", 2]}, "tags[1]"),
        ({"name": "a", "sizeBytes": 1, "color": "red"}, None),
        ([1, 2], None),
    ],
)
async def test_invalid_body_is_422_naming_the_field(client, body, field):
    response = await client.post("/things", json=body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["error"] == "invalid_body" and payload["message"]
    assert payload.get("field") == field


async def test_body_over_the_limit_is_413_by_length(client):
    response = await client.post("/things", content=b"x" * 2048)
    assert response.status_code == 413 and response.json()["error"] == "content_too_large"


async def test_body_over_the_limit_is_413_when_streamed(client):
    async def chunks():
        for _ in range(8):
            yield b"x" * 512

    response = await client.post("/things", content=chunks())
    assert response.status_code == 413 and response.json()["error"] == "content_too_large"


async def test_admin_routes_need_the_token(client):
    response = await client.post("/things", json={"name": "a", "sizeBytes": 1}, headers={"Authorization": ""})
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    response = await client.post("/things", json={"name": "a", "sizeBytes": 1}, headers={"Authorization": "Bearer no"})
    assert response.status_code == 403


async def test_api_errors_carry_their_field(client):
    response = await client.get("/conflict")
    assert response.status_code == 409
    assert response.json() == {"error": "conflict", "message": "that name is taken", "field": "name"}


@pytest.mark.parametrize(
    ("kind", "status", "error"),
    [
        ("BadInput", 400, "bad_request"),
        ("Forbidden", 403, "forbidden"),
        ("NotFound", 404, "not_found"),
        ("Conflict", 409, "conflict"),
        ("Invalid", 422, "unprocessable"),
        ("Unavailable", 503, "unavailable"),
    ],
)
async def test_domain_errors_are_answered_by_one_table(client, kind, status, error):
    response = await client.get(f"/refused/{kind}")
    assert response.status_code == status
    assert response.json() == {"error": error, "message": f"refused as {kind}", "field": "thing"}


async def test_what_start_up_yields_is_the_routes_state(client):
    assert (await client.get("/state")).json() == {"part": "built at start-up"}


async def test_a_crash_is_a_500_without_a_traceback(client):
    response = await client.get("/explode")
    assert response.status_code == 500
    assert response.json()["error"] == "internal"
    assert "internal detail" not in response.text and "Traceback" not in response.text


def test_edge_rules_numbers_depth_and_nul():
    from libs.web.edge import ApiError, ascii_int, check_json, json_depth

    assert [ascii_int(v, 1, 744) for v in ("24", "\u00b2", "\u0663", "0", "745", "-1", "", None)] == [
        24, None, None, None, None, None, None, None,
    ]  # fmt: skip
    assert json_depth(b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "b": [[1], {"c": []}]}') == 4
    assert json_depth(b"[" * 5000 + b"]" * 5000) == 5000
    for body, status in ((b'{"a": [' + b"[" * 40 + b"]" * 40 + b"]}", 400), (b'{"a": "x\\u0000"}', 422)):
        with pytest.raises(ApiError) as refused:
            check_json(body)
        assert refused.value.status_code == status
    check_json(b'{"a": "a backslash then u0000: \\\\u0000"}')  # that is text, not a NUL
