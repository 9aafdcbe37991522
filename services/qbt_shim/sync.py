"""`sync/maindata` as qBittorrent answers it: the whole state with `full_update` for `rid=0` (or a `rid` it no
longer knows), else only what changed since that `rid` — changed fields of changed torrents, removed torrents,
categories and tags, and the changed `server_state` fields. Clients (qbittorrent-api's `SyncMainData`,
@ctrl/qbittorrent, Homarr) merge these into what they hold. The functions are pure; `MainData` keeps the
recent snapshots."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from libs.cache import BoundedCache

if TYPE_CHECKING:
    from .torrents import TorrentService

Snapshot = dict[str, Any]  # {"torrents": {hash: info}, "categories": {...}, "tags": [...], "server_state": {...}}


def snapshot(
    torrents: list[dict[str, Any]], categories: dict[str, Any], tags: list[str], server_state: dict[str, Any]
) -> Snapshot:
    listed = {t["hash"]: {k: v for k, v in t.items() if k != "hash"} for t in torrents}
    return {"torrents": listed, "categories": categories, "tags": tags, "server_state": server_state}


def full(rid: int, now: Snapshot) -> dict[str, Any]:
    return {"rid": rid, "full_update": True, **now}


def changes(rid: int, before: Snapshot, now: Snapshot) -> dict[str, Any]:
    torrents = {}
    for torrent_hash, info in now["torrents"].items():
        old = before["torrents"].get(torrent_hash)
        if changed := (info if old is None else _changed(old, info)):
            torrents[torrent_hash] = changed
    answer = {
        "torrents": torrents,
        "torrents_removed": _gone(before["torrents"], now["torrents"]),
        "categories": _changed(before["categories"], now["categories"]),
        "categories_removed": _gone(before["categories"], now["categories"]),
        "tags": _gone(now["tags"], before["tags"]),  # added: in now, not before
        "tags_removed": _gone(before["tags"], now["tags"]),
        "server_state": _changed(before["server_state"], now["server_state"]),
    }
    return {"rid": rid} | {key: value for key, value in answer.items() if value}  # nothing said of what stayed


def _changed(before: dict[str, Any], now: dict[str, Any]) -> dict[str, Any]:
    """The entries of `now` that are new or differ from `before`."""
    return {key: value for key, value in now.items() if before.get(key) != value}


def _gone(before, now) -> list[str]:
    """What `before` held that `now` does not."""
    return [key for key in before if key not in now]


def transfer_figures(listed: list[dict[str, Any]]) -> dict[str, Any]:
    """`transfer/info` (and `server_state`'s first fields) from the torrents as `torrents/info` lists them."""
    return {
        "connection_status": "connected",
        "dht_nodes": 0,
        "dl_info_data": sum(t["downloaded"] for t in listed),
        "dl_info_speed": sum(t["dlspeed"] for t in listed),
        "dl_rate_limit": 0,
        "up_info_data": 0,
        "up_info_speed": 0,
        "up_rate_limit": 0,
    }


class MainData:
    """`sync/maindata`'s response ids, and what each recent one answered (the changes since are made from it)."""

    def __init__(self, torrents: TorrentService, root: Path) -> None:
        self.torrents = torrents
        self.root = root
        self._rid = 0
        self._snapshots: BoundedCache[int, Snapshot] = BoundedCache(64, 600)

    async def answer(self, rid: int) -> dict[str, Any]:
        """From `rid`: the full state, or what changed since (qBittorrent's protocol)."""
        listed = await self.torrents.info()
        server_state = transfer_figures(listed) | {
            "free_space_on_disk": shutil.disk_usage(self.root).free if self.root.exists() else 0,
            "queueing": True,
            "use_alt_speed_limits": False,
            "refresh_interval": 1500,
        }
        now = snapshot(listed, await self.torrents.categories(), await self.torrents.tags(), server_state)
        self._rid += 1
        before = self._snapshots.get(rid) if rid else None
        self._snapshots.set(self._rid, now)
        return full(self._rid, now) if before is None else changes(self._rid, before, now)

    async def transfer_info(self) -> dict[str, Any]:
        return transfer_figures(await self.torrents.info())
