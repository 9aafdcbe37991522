"""The HTTP edge: the admin API under /pool/ and the internal API under /api/v1/internal/pool/. Each endpoint
decodes its input once, calls the service part it names (`request.state.pool`, built at start-up) and encodes
the answer; refusals are domain errors, answered by libs.web's one table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route

from libs.errors import BadInput
from libs.schemas import PoolKeyRequest, UsageEvent
from libs.schemas.pool_admin import AccountDeviceForget, AccountLogin, KeyCreate, KeyUpdate, UserCreate, UserUpdate
from libs.web import ascii_int, json_response, read_json, require_admin, require_admin_page, require_header_key

from .admin import parse_id
from .page import render

if TYPE_CHECKING:
    from .app import PoolAllocator


def admin(request: Request) -> PoolAllocator:
    """The service, once the caller has shown the admin token (Bearer, or the page's Basic login — a change
    with it only from the page itself)."""
    pool: PoolAllocator = request.state.pool
    require_admin(request, pool.settings.admin_token)
    return pool


def internal(request: Request) -> PoolAllocator:
    """The service, once the caller has shown the internal API key (another service, never a browser)."""
    pool: PoolAllocator = request.state.pool
    require_header_key(request, "X-Internal-Api-Key", pool.settings.internal_api_key)
    return pool


async def add_key(request: Request) -> Response:
    pool = admin(request)
    return json_response(await pool.admin.add_key(await read_json(request, KeyCreate)), 201)


async def list_keys(request: Request) -> Response:
    """Every key (a household has a few), or those whose label or id holds `search`, a page at a time when
    asked (`page`, `pageSize`); the number that matched in `X-Total-Count`."""
    pool = admin(request)
    search = request.query_params.get("search", "").lower()
    page = int_param(request, "page", 1, 100_000, 1)
    page_size = int_param(request, "pageSize", 1, 500, 500)
    found = [k for k in await pool.admin.list_keys() if search in (k.label or "").lower() or search in k.id]
    shown = found[(page - 1) * page_size : page * page_size]
    return json_response(shown, headers={"X-Total-Count": str(len(found))})


async def get_key_view(request: Request) -> Response:
    pool = admin(request)
    return json_response(await pool.admin.key(parse_id(request.path_params["id"], "key id")))


async def update_key(request: Request) -> Response:
    pool = admin(request)
    pool_key_id = parse_id(request.path_params["id"], "key id")
    return json_response(await pool.admin.update_key(pool_key_id, await read_json(request, KeyUpdate)))


async def add_user(request: Request) -> Response:
    pool = admin(request)
    return json_response(await pool.admin.add_user(await read_json(request, UserCreate)), 201)


async def get_user(request: Request) -> Response:
    pool = admin(request)
    return json_response(await pool.admin.user(parse_id(request.path_params["uuid"], "user id")))


async def update_user(request: Request) -> Response:
    pool = admin(request)
    user_id = parse_id(request.path_params["uuid"], "user id")
    return json_response(await pool.admin.update_user(user_id, await read_json(request, UserUpdate)))


def int_param(request: Request, name: str, low: int, high: int, default: int) -> int:
    """A whole-number query parameter within bounds; a 400 naming it otherwise."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = ascii_int(raw, low, high)
    if value is None:
        raise BadInput(f"{name} must be a whole number from {low} to {high}", field=name)
    return value


async def list_users(request: Request) -> Response:
    pool = admin(request)
    search = request.query_params.get("search", "")
    if len(search) > 254:
        raise BadInput("search is at most 254 characters", field="search")
    page = int_param(request, "page", 1, 100_000, 1)
    page_size = int_param(request, "pageSize", 1, 500, 50)
    return json_response(await pool.admin.list_users(search, page, page_size))


async def delete_user(request: Request) -> Response:
    await admin(request).admin.delete_user(parse_id(request.path_params["uuid"], "user id"))
    return Response(status_code=204)


async def delete_key(request: Request) -> Response:
    await admin(request).admin.delete_key(parse_id(request.path_params["id"], "key id"))
    return Response(status_code=204)


async def forget_devices(request: Request) -> Response:
    pool = admin(request)
    user_id = parse_id(request.path_params["uuid"], "user id")
    return json_response(await pool.admin.forget_devices(user_id, request.path_params.get("device")))


def usage_of(column: str, what: str):
    async def history(request: Request) -> Response:
        pool = admin(request)
        owner = parse_id(request.path_params["id"], what)
        days = int_param(request, "days", 1, 400, 30)
        return json_response(await pool.usage.history(column, owner, days))

    return history


async def account(request: Request) -> Response:
    """A user's own account (the configure page's sign-in): no admin token, their email and password."""
    body = await read_json(request, AccountLogin)
    return json_response(await request.state.pool.accounts.view(body.email, body.password))


async def account_forget_device(request: Request) -> Response:
    body = await read_json(request, AccountDeviceForget)
    return json_response(await request.state.pool.accounts.forget_device(body.email, body.password, body.device_id))


async def account_rotate(request: Request) -> Response:
    body = await read_json(request, AccountLogin)
    return json_response(await request.state.pool.accounts.rotate(body.email, body.password))


async def page(request: Request) -> Response:
    pool: PoolAllocator = request.state.pool
    require_admin_page(request, pool.settings.admin_token)
    search = request.query_params.get("search", "")[:254]
    users = await pool.admin.list_users(
        search, int_param(request, "page", 1, 100_000, 1), int_param(request, "pageSize", 1, 500, 50)
    )
    usage = await pool.usage.streams_by_key(30)
    body = render(await pool.admin.list_keys(), users, usage, search)
    return HTMLResponse(body, headers={"Cache-Control": "no-store"})


async def usage(request: Request) -> Response:
    return json_response(await admin(request).usage.summary())


async def get_key(request: Request) -> Response:
    pool = internal(request)
    return json_response(await pool.allocator.get_key(await read_json(request, PoolKeyRequest)))


async def log_usage(request: Request) -> Response:
    pool = internal(request)
    event = await read_json(request, UsageEvent)
    for field, value in (("userId", event.user_id), ("poolKeyId", event.pool_key_id)):
        parse_id(value, field)
    await pool.usage.record(event)
    return json_response({"accepted": True, "id": event.id}, 202)


ROUTES = [
    Mount(
        "/pool",
        routes=[
            Route("/", page, methods=["GET"]),
            Route("/keys", add_key, methods=["POST"]),
            Route("/keys", list_keys, methods=["GET"]),
            Route("/keys/{id}", get_key_view, methods=["GET"]),
            Route("/keys/{id}", update_key, methods=["PATCH"]),
            Route("/keys/{id}", delete_key, methods=["DELETE"]),
            Route("/users", add_user, methods=["POST"]),
            Route("/users", list_users, methods=["GET"]),
            Route("/users/{uuid}", get_user, methods=["GET"]),
            Route("/users/{uuid}", update_user, methods=["PATCH"]),
            Route("/users/{uuid}", delete_user, methods=["DELETE"]),
            Route("/users/{uuid}/devices", forget_devices, methods=["DELETE"]),
            Route("/users/{uuid}/devices/{device}", forget_devices, methods=["DELETE"]),
            Route("/usage", usage, methods=["GET"]),
            Route("/usage/users/{id}", usage_of("user_id", "user id"), methods=["GET"]),
            Route("/usage/keys/{id}", usage_of("pool_key_id", "key id"), methods=["GET"]),
            Route("/account", account, methods=["POST"]),
            Route("/account/forget-device", account_forget_device, methods=["POST"]),
            Route("/account/rotate", account_rotate, methods=["POST"]),
        ],
    ),
    Mount(
        "/api/v1/internal/pool",
        routes=[
            Route("/get-key", get_key, methods=["POST"]),
            Route("/log-usage", log_usage, methods=["POST"]),
        ],
    ),
]
