"""qBittorrent WebAPI v2: a cookie session (logged in again on a 403), `torrents/info` in the category."""

from __future__ import annotations

import httpx
import msgspec

from libs.http import http_client
from libs.torrent_meta import btih_from_magnet, info_hash

from .base import ClientError, ClientItem, DownloadClient, Grabbed, eta_or_none

_PAUSED = {"pausedDL", "stoppedDL"}
_QUEUED = {"queuedDL", "metaDL", "forcedMetaDL", "checkingDL", "checkingResumeData", "allocating", "moving"}
_DONE = {"uploading", "stalledUP", "queuedUP", "forcedUP", "pausedUP", "stoppedUP", "checkingUP"}


class _Torrent(msgspec.Struct):
    hash: str
    name: str = ""
    state: str = ""
    progress: float = 0.0
    dlspeed: int = 0
    eta: int = 8640000
    content_path: str = ""
    save_path: str = ""


def item_of(torrent: _Torrent) -> ClientItem:
    if torrent.state in ("error", "missingFiles"):
        state, error = "failed", f"qBittorrent reports {torrent.state}"
    elif torrent.state in _DONE or torrent.progress >= 1:
        state, error = "completed", None
    elif torrent.state in _PAUSED:
        state, error = "paused", None
    elif torrent.state in _QUEUED:
        state, error = "queued", None
    else:
        state, error = "downloading", None  # downloading, stalledDL, forcedDL and anything newer
    done = state == "completed"
    return ClientItem(
        id=torrent.hash.lower(),
        title=torrent.name,
        state=state,
        progress=1.0 if done else torrent.progress,
        speed_bytes=torrent.dlspeed,
        eta_seconds=0 if done else eta_or_none(torrent.eta),
        final_path=(torrent.content_path or torrent.save_path) if done else None,
        error=error,
    )


SESSION_GONE = (401, 403)  # no (more) session: 403 up to qBittorrent 5.1, 401 from 5.2


class QBittorrent(DownloadClient):
    """Its session lives in its own cookie jar (the shared client's jar would mix sessions of several
    clients on one host); the adapter is kept between polls, so one login serves many."""

    _cookie: str | None = None
    _own: httpx.AsyncClient | None = None

    async def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        if self._own is None:
            self._own = http_client("notifier", timeout=self.timeout)  # its own cookie jar
        try:
            return await self._own.request(method, self.config.base_url + path, **kwargs)
        except httpx.TimeoutException:
            raise ClientError(f"{self.config.name} did not answer within {self.timeout:.0f} s") from None
        except httpx.HTTPError as error:
            raise ClientError(f"{self.config.name} could not be reached ({type(error).__name__})") from None

    async def aclose(self) -> None:
        if self._own is not None:
            await self._own.aclose()
            self._own = None

    async def _login(self) -> None:
        response = await self.request(
            "POST",
            "/api/v2/auth/login",
            data={"username": self.config.username or "", "password": self.config.password or ""},
        )
        # qBittorrent up to 5.1 answers 200 `Ok.` (or `Fails.`); 5.2 answers a good login 204 with no body and
        # a bad one 401
        good = response.status_code == 204 or (response.status_code == 200 and response.text.strip() in ("Ok.", ""))
        if not good:
            raise ClientError(f"{self.config.name} refused the user name or password")
        self._cookie = "session"  # kept by the jar

    async def _get(self, path: str, **params) -> bytes:
        for attempt in range(2):
            if self._cookie is None:
                await self._login()
            response = await self.request("GET", path, params=params)
            if response.status_code in SESSION_GONE and attempt == 0:
                self._cookie = None  # the session expired: log in again once
                continue
            if response.status_code != 200:
                raise self.refused(response)
            return response.content
        raise ClientError(f"{self.config.name} refused the session")

    async def test(self) -> str:
        return (await self._get("/api/v2/app/version")).decode().strip()

    async def items(self) -> list[ClientItem]:
        params = {"category": self.config.category} if self.config.category else {}
        try:
            torrents = msgspec.json.decode(await self._get("/api/v2/torrents/info", **params), type=list[_Torrent])
        except msgspec.DecodeError:
            raise ClientError(f"{self.config.name} answered torrents/info with something not qBittorrent's") from None
        return [item_of(t) for t in torrents]

    async def add(self, grabbed: Grabbed) -> str:
        if grabbed.magnet:
            found, form, files = btih_from_magnet(grabbed.magnet), {"urls": grabbed.magnet}, None
        elif grabbed.torrent:
            found, form = info_hash(grabbed.torrent), {}
            files = {"torrents": ("release.torrent", grabbed.torrent, "application/x-bittorrent")}
        else:
            raise ClientError(f"{self.config.name} takes torrents, not NZBs")
        if self.config.category:
            form["category"] = self.config.category
        for attempt in range(2):
            if self._cookie is None:
                await self._login()
            response = await self.request("POST", "/api/v2/torrents/add", data=form, files=files)
            if response.status_code in SESSION_GONE and attempt == 0:
                self._cookie = None
                continue
            if response.status_code != 200 or response.text.strip() == "Fails.":
                raise ClientError(
                    f"{self.config.name} refused the torrent ({response.status_code} {response.text[:80]})"
                )
            return found or ""
        raise ClientError(f"{self.config.name} refused the session")
