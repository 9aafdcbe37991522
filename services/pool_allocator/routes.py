"""The HTTP edge: the admin API under /pool/ and the internal API under /api/v1/internal/pool/."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from libs.schemas import PoolKeyRequest, UsageEvent
from libs.schemas.pool_admin import KeyCreate, KeyUpdate, UserCreate, UserUpdate
from libs.web import ApiError, json_response, read_json, require_bearer, require_header_key

from .admin import parse_id
from .allocator import InvalidUserId

if TYPE_CHECKING:
    from .app import PoolAllocator


def routes(pool: PoolAllocator) -> list[Route]:
    def admin(request: Request) -> None:
        require_bearer(request, pool.settings.admin_token)

    def internal(request: Request) -> None:
        require_header_key(request, "X-Internal-Api-Key", pool.settings.internal_api_key)

    async def add_key(request: Request) -> Response:
        admin(request)
        return json_response(await pool.admin.add_key(await read_json(request, KeyCreate)), 201)

    async def list_keys(request: Request) -> Response:
        admin(request)
        return json_response(await pool.admin.list_keys())

    async def get_key_view(request: Request) -> Response:
        admin(request)
        return json_response(await pool.admin.key(parse_id(request.path_params["id"], "key id")))

    async def update_key(request: Request) -> Response:
        admin(request)
        pool_key_id = parse_id(request.path_params["id"], "key id")
        return json_response(await pool.admin.update_key(pool_key_id, await read_json(request, KeyUpdate)))

    async def add_user(request: Request) -> Response:
        admin(request)
        return json_response(await pool.admin.add_user(await read_json(request, UserCreate)), 201)

    async def get_user(request: Request) -> Response:
        admin(request)
        return json_response(await pool.admin.user(parse_id(request.path_params["uuid"], "user id")))

    async def update_user(request: Request) -> Response:
        admin(request)
        user_id = parse_id(request.path_params["uuid"], "user id")
        return json_response(await pool.admin.update_user(user_id, await read_json(request, UserUpdate)))

    async def usage(request: Request) -> Response:
        admin(request)
        return json_response(await pool.usage.summary())

    async def get_key(request: Request) -> Response:
        internal(request)
        body = await read_json(request, PoolKeyRequest)
        try:
            return json_response(await pool.allocator.get_key(body))
        except InvalidUserId as error:
            raise ApiError(400, str(error), error="invalid_user_id", field="userId") from None

    async def log_usage(request: Request) -> Response:
        internal(request)
        event = await read_json(request, UsageEvent)
        for field, value in (("userId", event.user_id), ("poolKeyId", event.pool_key_id)):
            parse_id(value, field)
        await pool.usage.record(event)
        return json_response({"accepted": True, "id": event.id}, 202)

    return [
        Route("/pool/keys", add_key, methods=["POST"]),
        Route("/pool/keys", list_keys, methods=["GET"]),
        Route("/pool/keys/{id}", get_key_view, methods=["GET"]),
        Route("/pool/keys/{id}", update_key, methods=["PATCH"]),
        Route("/pool/users", add_user, methods=["POST"]),
        Route("/pool/users/{uuid}", get_user, methods=["GET"]),
        Route("/pool/users/{uuid}", update_user, methods=["PATCH"]),
        Route("/pool/usage", usage, methods=["GET"]),
        Route("/api/v1/internal/pool/get-key", get_key, methods=["POST"]),
        Route("/api/v1/internal/pool/log-usage", log_usage, methods=["POST"]),
    ]
