"""NZBGet's JSON-RPC (`/jsonrpc`, Basic credentials): `listgroups` for the queue, `history` for what is done;
a history `Status` is `CATEGORY/DETAIL` and the category decides."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import msgspec

from .base import ClientError, ClientItem, DownloadClient, Grabbed

_QUEUED = {"QUEUED", "FETCHING", "QS_QUEUED", "PP_QUEUED"}


def group_item(group: dict[str, Any], rate: int) -> ClientItem:
    status = str(group.get("Status", ""))
    size, left = float(group.get("FileSizeMB") or 0), float(group.get("RemainingSizeMB") or 0)
    if status == "PAUSED":
        state = "paused"
    elif status in _QUEUED:
        state = "queued"
    else:
        state = "downloading"  # downloading, or post-processing (verifying, unpacking, moving, …)
    return ClientItem(
        id=str(group.get("NZBID", "")),
        title=str(group.get("NZBName", "")),
        state=state,
        progress=round(1 - left / size, 4) if size > 0 else 0.0,
        speed_bytes=rate if status == "DOWNLOADING" else 0,
        eta_seconds=int(left * 1024 * 1024 / rate) if rate > 0 and status == "DOWNLOADING" else None,
    )


def history_item(entry: dict[str, Any]) -> ClientItem:
    category, _, detail = str(entry.get("Status", "")).partition("/")
    base = {"id": str(entry.get("NZBID", "")), "title": str(entry.get("Name") or entry.get("NZBName") or "")}
    if category in ("SUCCESS", "WARNING"):
        path = entry.get("FinalDir") or entry.get("DestDir") or None
        return ClientItem(**base, state="completed", progress=1.0, eta_seconds=0, final_path=path)
    if category == "DELETED":
        return ClientItem(**base, state="removed", error=f"NZBGet: deleted ({detail.lower() or 'manual'})")
    return ClientItem(**base, state="failed", error=f"NZBGet: {category.lower()} ({detail.lower()})")


class NzbGet(DownloadClient):
    async def call(self, method: str, *params: Any, shape: Any = Any) -> Any:
        """The method's `result`, as `shape`; `ClientError` for an error or a result of another shape."""
        auth = httpx.BasicAuth(self.config.username or "", self.config.password or "")
        body = {"version": "1.1", "method": method, "params": list(params), "id": 1}
        answer = self.decoded(await self.request("POST", "/jsonrpc", json=body, auth=auth), "NZBGet")
        if not isinstance(answer, dict) or answer.get("error"):
            message = (answer.get("error") or {}).get("message", "error") if isinstance(answer, dict) else "error"
            raise ClientError(f"{self.config.name}: {message}")
        try:
            return msgspec.convert(answer.get("result"), shape)
        except msgspec.ValidationError:
            raise ClientError(f"{self.config.name} answered {method} with something that is not NZBGet's") from None

    async def test(self) -> str:
        return str(await self.call("version"))

    async def items(self) -> list[ClientItem]:
        status = await self.call("status", shape=dict[str, Any] | None) or {}
        rate = int(status.get("DownloadRate") or 0)
        groups = await self.call("listgroups", 0, shape=list[dict[str, Any]] | None) or []
        history = await self.call("history", False, shape=list[dict[str, Any]] | None) or []
        category = self.config.category
        wanted = [g for g in groups if not category or g.get("Category") == category]
        done = [h for h in history if not category or h.get("Category") == category]
        return [group_item(g, rate) for g in wanted] + [history_item(h) for h in done]

    async def add(self, grabbed: Grabbed) -> str:
        if grabbed.nzb is None:
            raise ClientError(f"{self.config.name} takes NZBs, not torrents")
        content = base64.b64encode(grabbed.nzb).decode()
        params = [f"{grabbed.title}.nzb", content, self.config.category or "", 0, False, False, "", 0, "SCORE", []]
        found = await self.call("append", *params)
        if not isinstance(found, int) or found <= 0:
            raise ClientError(f"{self.config.name} did not take the NZB")
        return str(found)
