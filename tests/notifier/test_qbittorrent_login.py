"""The notifier logs in to both generations of qBittorrent: up to 5.1 a good login is 200 `Ok.` (checked
against Debian's qbittorrent-nox in test_downloads.py); from 5.2 it is 204 with no body, a bad one 401, and a
call without a session 401 (as the issue describes qBittorrent `src/webui/api/authcontroller.cpp` at
`release-5.2.0`). This stand-in answers only those calls, the 5.2 way."""

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from services.notifier.clients import ClientConfig, ClientError, adapter_for
from tests.support.asgi import serving


class Qbittorrent52:
    def __init__(self) -> None:
        self.sessions: set[str] = set()
        self.app = Starlette(
            routes=[
                Route("/api/v2/auth/login", self.login, methods=["POST"]),
                Route("/api/v2/app/version", self.version),
            ]
        )

    async def login(self, request: Request) -> Response:
        form = await request.form()
        if (form.get("username"), form.get("password")) != ("admin", "secret-52"):
            return PlainTextResponse("", 401)
        sid = f"sid{len(self.sessions)}"
        self.sessions.add(sid)
        return Response(status_code=204, headers={"set-cookie": f"SID={sid}; HttpOnly; SameSite=Strict; path=/"})

    async def version(self, request: Request) -> Response:
        if request.cookies.get("SID") not in self.sessions:
            return PlainTextResponse("", 401)
        return PlainTextResponse("v5.2.0")


@pytest.mark.parametrize(("password", "works"), [("secret-52", True), ("wrong", False)])
async def test_a_qbittorrent_52_login_is_a_204_and_a_refusal_a_401(password, works):
    server = Qbittorrent52()
    async with serving(server.app) as base, httpx.AsyncClient() as http:
        port = int(base.rsplit(":", 1)[1])
        config = ClientConfig(id="1", type="qbittorrent", name="qBittorrent 5.2", host="127.0.0.1", port=port,
                              use_ssl=False, username="admin", password=password)  # fmt: skip
        adapter = adapter_for(config, http)
        try:
            if works:
                assert await adapter.test() == "v5.2.0"
                server.sessions.clear()  # qBittorrent restarted: the next call is a 401, then a new login
                assert await adapter.test() == "v5.2.0" and len(server.sessions) == 1
            else:
                with pytest.raises(ClientError, match="refused the user name or password"):
                    await adapter.test()
        finally:
            await adapter.aclose()
