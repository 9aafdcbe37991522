"""notifier's HTTP edge: the integrations document and the media server connection tests (admin token)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from libs.schemas.notifier import IntegrationsPatch
from libs.web import ApiError, json_response, read_json, require_bearer

from .media_servers import Target
from .settings import SettingsInvalid, masked

if TYPE_CHECKING:
    from .app import Notifier


def routes(notifier: Notifier) -> list[Route]:
    token = notifier.settings.admin_token

    async def get_settings(request: Request) -> Response:
        require_bearer(request, token)
        return json_response(masked(await notifier.store.get()))

    async def patch_settings(request: Request) -> Response:
        require_bearer(request, token)
        patch = await read_json(request, IntegrationsPatch)
        try:
            updated = await notifier.store.patch(patch)
        except SettingsInvalid as invalid:
            raise ApiError(422, str(invalid), field=invalid.field) from None
        return json_response(masked(updated))

    def tester(name: str):
        async def test(request: Request) -> Response:
            require_bearer(request, token)
            server = getattr(await notifier.store.get(), name)
            if not server.url or not server.api_key:
                raise ApiError(422, f"{name} has no url or API key yet: save them first", field=f"{name}.url")
            return json_response(await notifier.media.test(Target(name, server.url.rstrip("/"), server.api_key)))

        return test

    return [
        Route("/settings/integrations", get_settings, methods=["GET"]),
        Route("/settings/integrations", patch_settings, methods=["PATCH"]),
        Route("/settings/integrations/test-jellyfin", tester("jellyfin"), methods=["POST"]),
        Route("/settings/integrations/test-emby", tester("emby"), methods=["POST"]),
    ]
