"""notifier's HTTP edge: the integrations document and the media server connection tests (admin token)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from libs.schemas.notifier import (
    ClientCreate,
    ClientPatch,
    ConnectionTest,
    DownloadCreate,
    GrabRequest,
    IntegrationsPatch,
)
from libs.web import ApiError, json_response, read_json, require_admin, require_admin_page

from .downloads import Invalid, NotFound
from .media_servers import Target
from .page import settings_page
from .settings import SettingsInvalid, masked

if TYPE_CHECKING:
    from .app import Notifier


def routes(notifier: Notifier) -> list[Route]:
    token = notifier.settings.admin_token

    async def get_settings(request: Request) -> Response:
        require_admin(request, token)
        return json_response(masked(await notifier.store.get()))

    async def patch_settings(request: Request) -> Response:
        require_admin(request, token)
        patch = await read_json(request, IntegrationsPatch)
        try:
            updated = await notifier.store.patch(patch)
        except SettingsInvalid as invalid:
            raise ApiError(422, str(invalid), field=invalid.field) from None
        return json_response(masked(updated))

    def tester(name: str):
        async def test(request: Request) -> Response:
            require_admin(request, token)
            server = getattr(await notifier.store.get(), name)
            if not server.url or not server.api_key:
                raise ApiError(422, f"{name} has no url or API key yet: save them first", field=f"{name}.url")
            return json_response(await notifier.media.test(Target(name, server.url.rstrip("/"), server.api_key)))

        return test

    async def guarded(request: Request, action):
        require_admin(request, token)
        try:
            return await action()
        except NotFound as missing:
            raise ApiError(404, str(missing)) from None
        except Invalid as invalid:
            raise ApiError(422, str(invalid), field=invalid.field) from None

    async def list_clients(request: Request) -> Response:
        return await guarded(request, lambda: _json(notifier.downloads.clients()))

    async def add_client(request: Request) -> Response:
        require_admin(request, token)
        body = await read_json(request, ClientCreate)
        return await guarded(request, lambda: _json(notifier.downloads.add_client(body), 201))

    async def update_client(request: Request) -> Response:
        require_admin(request, token)
        patch = await read_json(request, ClientPatch)
        return await guarded(request, lambda: _json(notifier.downloads.update_client(request.path_params["id"], patch)))

    async def delete_client(request: Request) -> Response:
        async def delete() -> Response:
            await notifier.downloads.delete_client(request.path_params["id"])
            return Response(status_code=204)

        return await guarded(request, delete)

    async def test_client(request: Request) -> Response:
        async def test() -> Response:
            ok, detail = await notifier.downloads.test_client(request.path_params["id"])
            return json_response(
                ConnectionTest(ok=True, version=detail) if ok else ConnectionTest(ok=False, error=detail)
            )

        return await guarded(request, test)

    async def list_downloads(request: Request) -> Response:
        return await guarded(request, lambda: _json(notifier.downloads.downloads()))

    async def track(request: Request) -> Response:
        require_admin(request, token)
        body = await read_json(request, DownloadCreate)

        async def tracked() -> Response:
            view = await notifier.downloads.track(body)
            notifier.poll_now()  # a new download is looked at at once, not at the next round
            return json_response(view, 201)

        return await guarded(request, tracked)

    async def page(request: Request) -> Response:
        require_admin_page(request, token)
        return HTMLResponse(settings_page(), headers={"Cache-Control": "no-store"})

    async def grab(request: Request) -> Response:
        require_admin(request, token)
        body = await read_json(request, GrabRequest)

        async def grabbed() -> Response:
            view = await notifier.downloads.grab(body, notifier.settings.prowlarr_url)
            notifier.poll_now()
            return json_response(view, 201)

        return await guarded(request, grabbed)

    return [
        Route("/settings/integrations/", page, methods=["GET"]),
        Route("/downloads/grab", grab, methods=["POST"]),
        Route("/downloads/clients", list_clients, methods=["GET"]),
        Route("/downloads/clients", add_client, methods=["POST"]),
        Route("/downloads/clients/{id}", update_client, methods=["PATCH"]),
        Route("/downloads/clients/{id}", delete_client, methods=["DELETE"]),
        Route("/downloads/clients/{id}/test", test_client, methods=["POST"]),
        Route("/downloads", list_downloads, methods=["GET"]),
        Route("/downloads", track, methods=["POST"]),
        Route("/settings/integrations", get_settings, methods=["GET"]),
        Route("/settings/integrations", patch_settings, methods=["PATCH"]),
        Route("/settings/integrations/test-jellyfin", tester("jellyfin"), methods=["POST"]),
        Route("/settings/integrations/test-emby", tester("emby"), methods=["POST"]),
    ]


async def _json(result, status: int = 200) -> Response:
    return json_response(await result, status)
