"""The Stremio add-on's HTTP edge under /stremio/torz/. Each endpoint reads the service built at start-up
(`request.state.proxy`); refusals are domain errors (a stream list says its problems as entries instead,
since Stremio shows entries, not error bodies)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route

from libs.errors import BadInput, NotFound
from libs.schemas.stremio import AddonConfig, Streams
from libs.web import json_response

from .addon_config import ConfigError, decode_config
from .client import base_url, client_of
from .configure import configure_page
from .manifest import manifest
from .media_id import parse_media_id
from .play import PlayRequest
from .render import message_entry

if TYPE_CHECKING:
    from .app import StreamProxy

# Stremio caches what it is told to: manifests for a day, as the anchors do.
MANIFEST_CACHE = {"Cache-Control": "public, max-age=86400"}
NO_STORE = {"Cache-Control": "no-store"}
_HASH = re.compile(r"^[0-9a-f]{40}$")
MAX_FILE_NAME = 512


def config_or_400(raw: str) -> AddonConfig:
    try:
        return decode_config(raw)
    except ConfigError as error:
        raise BadInput(str(error), error="invalid_config") from None


def opened_or_400(proxy: StreamProxy, segment: str) -> AddonConfig:
    """A configuration from a link we made (sealed when it holds a token)."""
    try:
        return config_or_400(proxy.sealer.open(segment))
    except ConfigError as error:
        raise BadInput(str(error), error="invalid_config") from None


async def plain_manifest(request: Request) -> Response:
    return json_response(manifest(None), headers=MANIFEST_CACHE)


async def configured_manifest(request: Request) -> Response:
    return json_response(manifest(config_or_400(request.path_params["config"])), headers=MANIFEST_CACHE)


async def configure(request: Request) -> Response:
    return HTMLResponse(configure_page())


async def reconfigure(request: Request) -> Response:
    proxy: StreamProxy = request.state.proxy
    try:
        config = decode_config(proxy.sealer.open(request.path_params["config"]))
    except ConfigError:
        return HTMLResponse(configure_page())  # start again from a blank form
    return HTMLResponse(configure_page(config.stores[0].auth))


async def streams(request: Request) -> Response:
    proxy: StreamProxy = request.state.proxy
    trusted = proxy.settings.trusted_proxies
    raw, kind = request.path_params["config"], request.path_params["kind"]
    if kind not in ("movie", "series"):
        raise NotFound("this add-on serves streams for movie and series only")
    base = base_url(request, trusted, proxy.config.public_url)
    try:
        config = decode_config(raw)
    except ConfigError as error:  # Stremio shows entries, not error bodies: say it in one
        body = Streams([message_entry(str(error), base, None)], cache_max_age=0)
        return json_response(body, headers=NO_STORE)
    media = parse_media_id(kind, request.path_params["video"])
    if media is None:  # an id of another catalogue (kitsu:…): the protocol's answer is no streams
        return json_response(Streams([], cache_max_age=3600))
    reference = proxy.sealer.reference(raw, config)  # what the links we hand out carry
    listed = await proxy.streams.streams(config, reference, media, client_of(request, trusted), base)
    max_age = proxy.config.response_max_age if listed.found else 60
    body = Streams(listed.streams, cache_max_age=max_age, stale_revalidate=60, stale_error=max_age)
    return json_response(body, headers={"Cache-Control": f"private, max-age={max_age}"})


async def play(request: Request) -> Response:
    proxy: StreamProxy = request.state.proxy
    config = opened_or_400(proxy, request.path_params["config"])
    info_hash = request.path_params["hash"].lower()
    video = request.path_params["video"]
    media = parse_media_id("series" if ":" in video else "movie", video)
    file_name = unquote(request.path_params["file"])
    if not _HASH.match(info_hash) or media is None:
        raise NotFound("no such stream: the link is not one this add-on made", error="unknown_stream")
    if len(file_name) > MAX_FILE_NAME or "/" in file_name:
        raise BadInput("the file name in the link is not valid", error="invalid_file")
    wanted = PlayRequest(info_hash, media, None if file_name == "auto" else file_name)
    link = await proxy.player.link(config, wanted, client_of(request, proxy.settings.trusted_proxies))
    return RedirectResponse(link, 302, headers=NO_STORE)


ROUTES = [
    Mount(
        "/stremio/torz",
        routes=[
            Route("/configure", configure, methods=["GET"]),
            Route("/manifest.json", plain_manifest, methods=["GET"]),
            Mount(
                "/{config}",  # every route below carries the user's settings (or their pool uuid)
                routes=[
                    Route("/configure", reconfigure, methods=["GET"]),
                    Route("/manifest.json", configured_manifest, methods=["GET"]),
                    Route("/stream/{kind:str}/{video}.json", streams, methods=["GET"]),
                    Route("/play/{hash}/{video}/{file}", play, methods=["GET", "HEAD"]),
                ],
            ),
        ],
    ),
]
