"""Transmission RPC: the 409 session-id dance, Basic credentials, `torrent-get` (labels hold a category)."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import msgspec

from .base import ClientError, ClientItem, DownloadClient, Grabbed, eta_or_none

FIELDS = ["id", "hashString", "name", "status", "percentDone", "rateDownload", "eta", "downloadDir", "error",
          "errorString", "labels", "leftUntilDone"]  # fmt: skip


class _Torrent(msgspec.Struct):
    hashString: str
    name: str = ""
    status: int = 0
    percentDone: float = 0.0
    rateDownload: int = 0
    eta: int = -1
    downloadDir: str = ""
    error: int = 0
    errorString: str = ""
    labels: list[str] = []


class _Answer(msgspec.Struct):
    result: str
    arguments: dict[str, Any] = {}


# libtransmission's `tr_stat_errtype`: 1 and 2 are what a tracker said (the download itself goes on, or is
# done); only 3, a local error (disk full, files gone), fails the download
TR_STAT_LOCAL_ERROR = 3


def item_of(torrent: _Torrent) -> ClientItem:
    finished = torrent.percentDone >= 1
    if torrent.error == TR_STAT_LOCAL_ERROR:
        state, error = "failed", torrent.errorString or f"Transmission error {torrent.error}"
    elif finished and torrent.status in (0, 5, 6):
        state, error = "completed", None
    elif torrent.status == 0:
        state, error = "paused", None
    elif torrent.status in (1, 2, 3):
        state, error = "queued", None
    else:
        state, error = "downloading", None
    done = state == "completed"
    return ClientItem(
        id=torrent.hashString.lower(),
        title=torrent.name,
        state=state,
        progress=1.0 if done else torrent.percentDone,
        speed_bytes=torrent.rateDownload,
        eta_seconds=0 if done else eta_or_none(torrent.eta, unknown=(-1, -2)),
        final_path=f"{torrent.downloadDir.rstrip('/')}/{torrent.name}" if done else None,
        error=error,
    )


class Transmission(DownloadClient):
    _session: str = ""

    async def call(self, method: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        auth = httpx.BasicAuth(self.config.username or "", self.config.password or "") if self.config.username else None
        body = {"method": method, "arguments": arguments or {}}
        for _ in range(2):
            response = await self.request(
                "POST", "/transmission/rpc", json=body, auth=auth, headers={"X-Transmission-Session-Id": self._session}
            )
            if response.status_code == 409:  # Transmission hands out the session id this way
                self._session = response.headers.get("x-transmission-session-id", "")
                continue
            answer = self.decoded(response, "Transmission", _Answer)
            if answer.result != "success":
                raise ClientError(f"{self.config.name}: {answer.result}")
            return answer.arguments
        raise ClientError(f"{self.config.name} kept refusing the session id")

    async def test(self) -> str:
        return str((await self.call("session-get", {"fields": ["version"]})).get("version", ""))

    async def items(self) -> list[ClientItem]:
        arguments = await self.call("torrent-get", {"fields": FIELDS})
        torrents = msgspec.convert(arguments.get("torrents", []), list[_Torrent])
        category = self.config.category
        return [item_of(t) for t in torrents if not category or category in t.labels]

    async def add(self, grabbed: Grabbed) -> str:
        if grabbed.magnet:
            arguments: dict[str, Any] = {"filename": grabbed.magnet}
        elif grabbed.torrent:
            arguments = {"metainfo": base64.b64encode(grabbed.torrent).decode()}
        else:
            raise ClientError(f"{self.config.name} takes torrents, not NZBs")
        if self.config.category:
            arguments["labels"] = [self.config.category]
        answer = await self.call("torrent-add", arguments)
        added = answer.get("torrent-added") or answer.get("torrent-duplicate") or {}
        return str(added.get("hashString", "")).lower()
