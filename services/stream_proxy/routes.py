"""The Stremio add-on's HTTP edge under /stremio/torz/."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from libs.web import ApiError, json_response

from .addon_config import ConfigError, decode_config
from .configure import configure_page
from .manifest import manifest

if TYPE_CHECKING:
    from .app import StreamProxy

# Stremio caches what it is told to: manifests for a day, as the anchors do.
MANIFEST_CACHE = {"Cache-Control": "public, max-age=86400"}


def routes(proxy: StreamProxy) -> list[Route]:
    async def plain_manifest(request: Request) -> Response:
        return json_response(manifest(None), headers=MANIFEST_CACHE)

    async def configured_manifest(request: Request) -> Response:
        try:
            config = decode_config(request.path_params["config"])
        except ConfigError as error:
            raise ApiError(400, str(error), error="invalid_config") from None
        return json_response(manifest(config), headers=MANIFEST_CACHE)

    async def configure(request: Request) -> Response:
        return HTMLResponse(configure_page())

    async def reconfigure(request: Request) -> Response:
        try:
            config = decode_config(request.path_params["config"])
        except ConfigError:
            return HTMLResponse(configure_page())  # start again from a blank form
        return HTMLResponse(configure_page(config.stores[0].auth))

    return [
        Route("/stremio/torz/configure", configure, methods=["GET"]),
        Route("/stremio/torz/{config}/configure", reconfigure, methods=["GET"]),
        Route("/stremio/torz/manifest.json", plain_manifest, methods=["GET"]),
        Route("/stremio/torz/{config}/manifest.json", configured_manifest, methods=["GET"]),
    ]
