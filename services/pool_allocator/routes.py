"""The HTTP edge: the admin API under /pool/ and the internal API under /api/v1/internal/pool/. Each endpoint
decodes its input once, calls the service part it names (`request.state.pool`, built at start-up) and encodes
the answer; refusals are domain errors, answered by libs.web's one table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from libs.schemas import PoolKeyRequest, UsageEvent
from libs.schemas.pool_admin import KeyCreate, KeyUpdate, UserCreate, UserUpdate
from libs.web import json_response, read_json, require_bearer, require_header_key

from .admin import parse_id

if TYPE_CHECKING:
    from .app import PoolAllocator


def admin(request: Request) -> PoolAllocator:
    """The service, once the caller has shown the admin token."""
    pool: PoolAllocator = request.state.pool
    require_bearer(request, pool.settings.admin_token)
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
    return json_response(await admin(request).admin.list_keys())


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
            Route("/keys", add_key, methods=["POST"]),
            Route("/keys", list_keys, methods=["GET"]),
            Route("/keys/{id}", get_key_view, methods=["GET"]),
            Route("/keys/{id}", update_key, methods=["PATCH"]),
            Route("/users", add_user, methods=["POST"]),
            Route("/users/{uuid}", get_user, methods=["GET"]),
            Route("/users/{uuid}", update_user, methods=["PATCH"]),
            Route("/usage", usage, methods=["GET"]),
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
