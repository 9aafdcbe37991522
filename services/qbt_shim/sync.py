"""`sync/maindata` as qBittorrent answers it: the whole state with `full_update` for `rid=0` (or a `rid` it no
longer knows), else only what changed since that `rid` — changed fields of changed torrents, removed torrents,
categories and tags, and the changed `server_state` fields. Clients (qbittorrent-api's `SyncMainData`,
@ctrl/qbittorrent, Homarr) merge these into what they hold. Pure: the snapshots are kept by the caller."""

from __future__ import annotations

from typing import Any

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
