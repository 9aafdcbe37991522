"""The HTTP edge under /indexers/ (admin token): JSON per indexer, per hour, and global."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from libs.web import ApiError, ascii_int, json_response, require_admin_page, require_bearer

from .page import render
from .repository import indexers as indexers_repo

if TYPE_CHECKING:
    from .app import IndexerStats


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = ascii_int(raw, low, high)
    if value is None:
        raise ApiError(422, f"{name} must be a whole number from {low} to {high}", error="invalid_query", field=name)
    return value


def routes(service: IndexerStats) -> list[Route]:
    def admin(request: Request) -> None:
        require_bearer(request, service.settings.admin_token)

    async def indexers(request: Request) -> Response:
        admin(request)
        return json_response(service.stats.indexer_views())

    async def indexer_hours(request: Request) -> Response:
        admin(request)
        indexer_id = ascii_int(request.path_params["id"], 0, 2**31 - 1)
        if indexer_id is None:
            raise ApiError(400, "the indexer id must be Prowlarr's numeric id", error="invalid_id")
        hours = _int_param(request, "hours", 24, 1, 24 * 31)
        result = await service.stats.hours(indexer_id, hours)
        if result is None:
            raise ApiError(404, "no such indexer")
        return json_response(result)

    async def page(request: Request) -> Response:
        require_admin_page(request, service.settings.admin_token)
        hourly = await indexers_repo.hourly_all(service.stats.db, 24 * 7)
        return HTMLResponse(render(service.stats.indexer_views(), hourly))

    async def to_page(request: Request) -> Response:
        return RedirectResponse("/indexers/", 308)

    async def global_stats(request: Request) -> Response:
        admin(request)
        return json_response(service.stats.global_view())

    return [
        Route("/indexers", to_page, methods=["GET"]),
        Route("/indexers/", page, methods=["GET"]),
        Route("/indexers/api/indexers", indexers, methods=["GET"]),
        Route("/indexers/api/indexers/{id}/hours", indexer_hours, methods=["GET"]),
        Route("/indexers/api/global", global_stats, methods=["GET"]),
    ]
