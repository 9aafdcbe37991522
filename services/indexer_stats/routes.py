"""The HTTP edge under /indexers/ (admin token): the page, and JSON per indexer, per hour, and global. Each
endpoint reads the service built at start-up (`request.state.indexers`); refusals are domain errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from libs.errors import BadInput, Invalid, NotFound
from libs.web import ascii_int, json_response, require_admin_page, require_bearer

from .page import render

if TYPE_CHECKING:
    from .app import IndexerStats

WEEK_HOURS = 24 * 7


def admin(request: Request) -> IndexerStats:
    """The service, once the caller has shown the admin token."""
    service: IndexerStats = request.state.indexers
    require_bearer(request, service.settings.admin_token)
    return service


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = ascii_int(raw, low, high)
    if value is None:
        raise Invalid(f"{name} must be a whole number from {low} to {high}", error="invalid_query", field=name)
    return value


async def indexers(request: Request) -> Response:
    return json_response(admin(request).stats.indexer_views())


async def indexer_hours(request: Request) -> Response:
    service = admin(request)
    indexer_id = ascii_int(request.path_params["id"], 0, 2**31 - 1)
    if indexer_id is None:
        raise BadInput("the indexer id must be Prowlarr's numeric id", error="invalid_id")
    result = await service.stats.hours(indexer_id, _int_param(request, "hours", 24, 1, 24 * 31))
    if result is None:
        raise NotFound("no such indexer")
    return json_response(result)


async def page(request: Request) -> Response:
    service: IndexerStats = request.state.indexers
    require_admin_page(request, service.settings.admin_token)
    return HTMLResponse(render(service.stats.indexer_views(), await service.stats.hourly_all(WEEK_HOURS)))


async def to_page(request: Request) -> Response:
    return RedirectResponse("/indexers/", 308)


async def global_stats(request: Request) -> Response:
    return json_response(admin(request).stats.global_view())


ROUTES = [
    Route("/indexers", to_page, methods=["GET"]),  # the bare prefix: a Mount only matches below it
    Mount(
        "/indexers",
        routes=[
            Route("/", page, methods=["GET"]),
            Mount(
                "/api",
                routes=[
                    Route("/indexers", indexers, methods=["GET"]),
                    Route("/indexers/{id}/hours", indexer_hours, methods=["GET"]),
                    Route("/global", global_stats, methods=["GET"]),
                ],
            ),
        ],
    ),
]
