"""Jellyfin and Emby: one client for both (Emby's API is Jellyfin's ancestor). Every call carries the key
twice — `Authorization: MediaBrowser Token="…"`, the only form Jellyfin 12 accepts, and `X-Emby-Token` for
Emby and older Jellyfin — and never in a URL. Failures come back as sentences, never with the key."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import msgspec

from libs.schemas.notifier import ConnectionTest, MediaServer


class MediaServerError(Exception):
    """`str()` says what went wrong, for the settings page and the logs."""


@dataclass(frozen=True)
class Target:
    name: str  # "jellyfin" | "emby"
    url: str
    api_key: str


class _Info(msgspec.Struct):
    Version: str  # every Jellyfin and Emby says it: an answer without it is not theirs
    ServerName: str | None = None


def target_of(name: str, server: MediaServer) -> Target | None:
    return Target(name, server.url.rstrip("/"), server.api_key) if server.enabled and server.url else None


class MediaServerClient:
    def __init__(self, http: httpx.AsyncClient, timeout: float = 10.0) -> None:
        self.http = http
        self.timeout = timeout

    @staticmethod
    def headers(api_key: str) -> dict[str, str]:
        return {"Authorization": f'MediaBrowser Token="{api_key}"', "X-Emby-Token": api_key}

    async def _call(self, target: Target, method: str, path: str, **kwargs) -> httpx.Response:
        try:
            response = await self.http.request(
                method, target.url + path, headers=self.headers(target.api_key), timeout=self.timeout, **kwargs
            )
        except httpx.TimeoutException:
            raise MediaServerError(f"{target.name} did not answer within {self.timeout:.0f} s") from None
        except httpx.HTTPError as error:
            raise MediaServerError(f"{target.name} could not be reached ({type(error).__name__})") from None
        if response.status_code == 401:
            raise MediaServerError(
                f"{target.name} refused the API key (401); on Jellyfin 12 create a new key under "
                "Dashboard → API Keys if this one was made for legacy headers"
            )
        if response.status_code == 403:
            raise MediaServerError(f"{target.name} answered 403: the key is not an administrator's")
        if response.status_code >= 400:
            raise MediaServerError(f"{target.name} answered {response.status_code}")
        return response

    async def test(self, target: Target) -> ConnectionTest:
        try:
            response = await self._call(target, "GET", "/System/Info")
            info = msgspec.json.decode(response.content, type=_Info)
        except MediaServerError as error:
            return ConnectionTest(ok=False, error=str(error))
        except msgspec.DecodeError:
            return ConnectionTest(ok=False, error=f"{target.name} answered with something that is not its API")
        return ConnectionTest(ok=True, server_name=info.ServerName, version=info.Version)

    async def files_updated(self, target: Target, changes: list[tuple[str, str]]) -> None:
        """Tell the server exactly which files appeared, changed or went ((path, Created | Modified |
        Deleted)): it rescans only the folders that hold them (Jellyfin reads no more than the path)."""
        updates = [{"Path": path, "UpdateType": change} for path, change in changes]
        await self._call(target, "POST", "/Library/Media/Updated", json={"Updates": updates})

    async def refresh_all(self, target: Target) -> None:
        """The whole library: only when no path is known (a second call restarts a running scan)."""
        await self._call(target, "POST", "/Library/Refresh")
