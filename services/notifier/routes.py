"""notifier's HTTP edge: the integrations document and its page, the media servers' connection tests, the
download clients and the downloads they follow (admin token); Sonarr's and Radarr's webhooks (their token).
Each endpoint reads the service built at start-up (`request.state.notifier`); refusals are the decisions'
domain errors, answered by libs.web's one table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route

from libs.errors import Invalid
from libs.schemas.notifier import (
    AlertTest,
    ClientCreate,
    ClientPatch,
    ConnectionTest,
    DownloadCreate,
    GrabRequest,
    IntegrationsPatch,
)
from libs.web import json_response, read_json, require_admin, require_admin_page, require_shared_secret

from .hooks import Source, read_event
from .media_servers import Target
from .page import settings_page
from .settings import masked

if TYPE_CHECKING:
    from .app import Notifier


def admin(request: Request) -> Notifier:
    """The service, once the caller has shown the admin token (Bearer, or the page's Basic login)."""
    notifier: Notifier = request.state.notifier
    require_admin(request, notifier.settings.admin_token)
    return notifier


async def get_settings(request: Request) -> Response:
    return json_response(masked(await admin(request).store.get()))


async def patch_settings(request: Request) -> Response:
    notifier = admin(request)
    return json_response(masked(await notifier.store.patch(await read_json(request, IntegrationsPatch))))


def tester(name: str):
    async def test(request: Request) -> Response:
        notifier = admin(request)
        server = getattr(await notifier.store.get(), name)
        if not server.url or not server.api_key:
            raise Invalid(f"{name} has no url or API key yet: save them first", field=f"{name}.url")
        return json_response(await notifier.media.test(Target(name, server.url.rstrip("/"), server.api_key)))

    return test


async def list_clients(request: Request) -> Response:
    return json_response(await admin(request).downloads.clients())


async def add_client(request: Request) -> Response:
    notifier = admin(request)
    return json_response(await notifier.downloads.add_client(await read_json(request, ClientCreate)), 201)


async def update_client(request: Request) -> Response:
    notifier = admin(request)
    patch = await read_json(request, ClientPatch)
    return json_response(await notifier.downloads.update_client(request.path_params["id"], patch))


async def delete_client(request: Request) -> Response:
    await admin(request).downloads.delete_client(request.path_params["id"])
    return Response(status_code=204)


async def test_client(request: Request) -> Response:
    ok, detail = await admin(request).downloads.test_client(request.path_params["id"])
    return json_response(ConnectionTest(ok=True, version=detail) if ok else ConnectionTest(ok=False, error=detail))


async def list_downloads(request: Request) -> Response:
    return json_response(await admin(request).downloads.downloads())


async def track(request: Request) -> Response:
    notifier = admin(request)
    view = await notifier.downloads.track(await read_json(request, DownloadCreate))
    notifier.poll_now()  # a new download is looked at at once, not at the next round
    return json_response(view, 201)


async def grab(request: Request) -> Response:
    notifier = admin(request)
    view = await notifier.downloads.grab(await read_json(request, GrabRequest), notifier.settings.prowlarr_url)
    notifier.poll_now()
    return json_response(view, 201)


def hook(source: Source):
    async def receive(request: Request) -> Response:
        notifier: Notifier = request.state.notifier
        require_shared_secret(request, notifier.hooks.token)
        event = read_event(source, await request.body())
        return json_response(await notifier.hooks.receive(source, event))

    return receive


async def test_alert(request: Request) -> Response:
    notifier = admin(request)
    return json_response(await notifier.alerts.test((await read_json(request, AlertTest)).target))


async def alerts(request: Request) -> Response:
    return json_response(await admin(request).alerts.view())


async def hooks(request: Request) -> Response:
    return json_response(await admin(request).hooks.view())


async def page(request: Request) -> Response:
    require_admin_page(request, request.state.notifier.settings.admin_token)
    return HTMLResponse(settings_page(), headers={"Cache-Control": "no-store"})


ROUTES = [
    # the bare prefixes: a Mount only matches below them
    Route("/settings/integrations", get_settings, methods=["GET"]),
    Route("/settings/integrations", patch_settings, methods=["PATCH"]),
    Mount(
        "/settings/integrations",
        routes=[
            Route("/", page, methods=["GET"]),
            Route("/test-jellyfin", tester("jellyfin"), methods=["POST"]),
            Route("/test-emby", tester("emby"), methods=["POST"]),
            Route("/hooks", hooks, methods=["GET"]),
            Route("/alerts", alerts, methods=["GET"]),
            Route("/test-alert", test_alert, methods=["POST"]),
        ],
    ),
    Route("/downloads", list_downloads, methods=["GET"]),
    Route("/downloads", track, methods=["POST"]),
    Mount(
        "/downloads",
        routes=[
            Route("/grab", grab, methods=["POST"]),
            Route("/clients", list_clients, methods=["GET"]),
            Route("/clients", add_client, methods=["POST"]),
            Route("/clients/{id}", update_client, methods=["PATCH"]),
            Route("/clients/{id}", delete_client, methods=["DELETE"]),
            Route("/clients/{id}/test", test_client, methods=["POST"]),
        ],
    ),
    Mount(
        "/hooks",
        routes=[  # Sonarr's webhook may be set to PUT
            Route("/sonarr", hook("sonarr"), methods=["POST", "PUT"]),
            Route("/radarr", hook("radarr"), methods=["POST", "PUT"]),
        ],
    ),
]
