"""A fake Jellyfin (or Emby) that records the library calls it receives (reference: apis_anchors §C).

- Auth: `Authorization: MediaBrowser Token="…"` or `?ApiKey=` always; `X-Emby-Token`, `X-MediaBrowser-Token`
  and `?api_key=` only with `legacy_auth` on (Jellyfin 12 turns it off; Emby always has it). Else 401.
- `GET /System/Info` (auth), `GET /System/Info/Public` (anonymous), `POST /Library/Media/Updated`
  (`{"Updates": [{"Path", "UpdateType"}]}`, case-insensitive; a missing path is a 400) → 204,
  `POST /Library/Refresh` → 204.
- `down`: every call 503; `calls` keeps (time, path, body) of the library calls, `updates` each (Path,
  UpdateType) told (Jellyfin ignores the type; Emby reads `Created|Modified|Deleted`).
"""

from __future__ import annotations

import re
import time
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

_TOKEN = re.compile(r'^MediaBrowser\s+.*Token="([^"]*)"', re.IGNORECASE)


class FakeJellyfin:
    def __init__(self, api_key: str = "jellyfin-key-0001", *, legacy_auth: bool = False, name: str = "Jellyfin"):
        self.api_key = api_key
        self.legacy_auth = legacy_auth
        self.name = name
        self.down = False
        self.calls: list[tuple[float, str, Any]] = []
        self.updates: list[tuple[str, str | None]] = []
        self.base_url = "http://jellyfin.invalid"
        self.app = Starlette(
            routes=[
                Route("/System/Info", self.info),
                Route("/System/Info/Public", self.public_info),
                Route("/Library/Media/Updated", self.media_updated, methods=["POST"]),
                Route("/Library/Refresh", self.refresh, methods=["POST"]),
                Route("/__calls", self.recorded),
            ]
        )

    def _key(self, request: Request) -> str | None:
        found = _TOKEN.match(request.headers.get("authorization", ""))
        if found:
            return found.group(1)
        if request.query_params.get("ApiKey"):
            return request.query_params["ApiKey"]
        if self.legacy_auth:
            return (
                request.headers.get("x-emby-token")
                or request.headers.get("x-mediabrowser-token")
                or request.query_params.get("api_key")
            )
        return None

    def _refused(self, request: Request) -> Response | None:
        if self.down:
            return Response(b"Service Unavailable", 503)
        if self._key(request) != self.api_key:
            return Response(b"", 401)
        return None

    async def info(self, request: Request) -> Response:
        if refused := self._refused(request):
            return refused
        body = {"ServerName": f"fake {self.name}", "Version": "12.0.0", "Id": "f" * 32, "ProductName": self.name}
        return Response(msgspec.json.encode(body), media_type="application/json")

    async def public_info(self, request: Request) -> Response:
        body = {"ServerName": f"fake {self.name}", "Version": "12.0.0", "StartupWizardCompleted": True}
        return Response(msgspec.json.encode(body), media_type="application/json")

    async def media_updated(self, request: Request) -> Response:
        if refused := self._refused(request):
            return refused
        try:
            body = msgspec.json.decode(await request.body())
            updates = body.get("Updates") or body.get("updates") or []
            paths = [u.get("Path") or u.get("path") for u in updates]
            kinds = [u.get("UpdateType") or u.get("updateType") for u in updates]
        except (msgspec.DecodeError, AttributeError):
            return Response(b"", 400)
        if not paths or any(not p for p in paths):
            return Response(b"", 400)
        self.calls.append((time.monotonic(), "/Library/Media/Updated", paths))
        self.updates += list(zip(paths, kinds, strict=True))
        return Response(status_code=204)

    async def recorded(self, request: Request) -> Response:
        """What it was told, for a person trying `make demo` (not part of Jellyfin's API)."""
        body = [{"path": path, "paths": paths} for _, path, paths in self.calls]
        return Response(msgspec.json.encode(body), media_type="application/json")

    async def refresh(self, request: Request) -> Response:
        if refused := self._refused(request):
            return refused
        self.calls.append((time.monotonic(), "/Library/Refresh", None))
        return Response(status_code=204)
