"""SABnzbd's API (`/api?mode=…&output=json`): the queue, then the history (numbers come as strings; jobs
still post-processing sit at the top of the history with a non-final status and no `storage` yet)."""

from __future__ import annotations

from typing import Any

from .base import ClientError, ClientItem, DownloadClient, Grabbed

_QUEUED = {"Queued", "Grabbing", "Propagating", "Fetching", "Checking"}


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def timeleft_seconds(value: str) -> int | None:
    """ "H:MM:SS" or "D:HH:MM:SS"; None when unknown or zero."""
    try:
        parts = [int(p) for p in value.split(":")]
    except (AttributeError, ValueError):
        return None
    seconds = 0
    for part, unit in zip(reversed(parts), (1, 60, 3600, 86400), strict=False):
        seconds += part * unit
    return seconds or None


def queue_item(slot: dict[str, Any], paused: bool, speed_bytes: int) -> ClientItem:
    status = str(slot.get("status", ""))
    mb, left = _number(slot.get("mb")), _number(slot.get("mbleft"))
    state = "paused" if paused or status == "Paused" else ("queued" if status in _QUEUED else "downloading")
    return ClientItem(
        id=str(slot.get("nzo_id", "")),
        title=str(slot.get("filename", "")),
        state=state,
        progress=round(1 - left / mb, 4) if mb > 0 else _number(slot.get("percentage")) / 100,
        speed_bytes=speed_bytes if state == "downloading" else 0,
        eta_seconds=timeleft_seconds(str(slot.get("timeleft", ""))),
    )


def history_item(slot: dict[str, Any]) -> ClientItem:
    status = str(slot.get("status", ""))
    base = {"id": str(slot.get("nzo_id", "")), "title": str(slot.get("name", ""))}
    if status == "Completed":
        return ClientItem(
            **base, state="completed", progress=1.0, eta_seconds=0, final_path=slot.get("storage") or None
        )
    if status == "Failed":
        return ClientItem(**base, state="failed", error=str(slot.get("fail_message") or "SABnzbd: failed"))
    return ClientItem(**base, state="downloading", progress=1.0)  # post-processing: verifying, unpacking, …


class Sabnzbd(DownloadClient):
    async def api(self, mode: str, **params: Any) -> dict[str, Any]:
        query = {"mode": mode, "output": "json", "apikey": self.config.api_key or "", **params}
        response = await self.request("GET", "/api", params=query)
        if response.status_code == 200 and response.text.startswith("error"):
            raise ClientError(f"{self.config.name}: {response.text.strip()[:200]}")
        body = self.decoded(response, "SABnzbd")
        if isinstance(body, dict) and body.get("status") is False:
            raise ClientError(f"{self.config.name}: {body.get('error', 'refused')}")
        return body if isinstance(body, dict) else {}

    async def test(self) -> str:
        await self.api("queue", limit=1)  # needs the key; `version` would not check it
        return str((await self.api("version")).get("version", ""))

    async def items(self) -> list[ClientItem]:
        category = {"cat": self.config.category} if self.config.category else {}
        queue = (await self.api("queue", **category)).get("queue", {})
        history = (await self.api("history", limit=100, **category)).get("history", {})
        speed = int(_number(queue.get("kbpersec")) * 1024)
        paused = bool(queue.get("paused"))
        items = [queue_item(slot, paused, speed) for slot in queue.get("slots", [])]
        return items + [history_item(slot) for slot in history.get("slots", [])]

    async def add(self, grabbed: Grabbed) -> str:
        if grabbed.nzb is None:
            raise ClientError(f"{self.config.name} takes NZBs, not torrents")
        params = {"mode": "addfile", "output": "json", "apikey": self.config.api_key or "", "nzbname": grabbed.title}
        if self.config.category:
            params["cat"] = self.config.category
        files = {"name": (f"{grabbed.title}.nzb", grabbed.nzb, "application/x-nzb")}
        body = self.decoded(await self.request("POST", "/api", params=params, files=files), "SABnzbd")
        ids = body.get("nzo_ids") if isinstance(body, dict) else None
        if not ids:
            raise ClientError(f"{self.config.name} did not take the NZB")
        return str(ids[0])
