"""`sync/maindata` as qBittorrent answers it: the whole state with `full_update` for `rid=0` (or a `rid` it no
longer knows), else only what changed since that `rid` — changed fields of changed torrents, removed torrents,
categories and tags, and the changed `server_state` fields. Clients (qbittorrent-api's `SyncMainData`,
@ctrl/qbittorrent, Homarr) merge these into what they hold. Pure: the snapshots are kept by the caller."""

from __future__ import annotations

from typing import Any

Snapshot = dict[str, Any]  # {"torrents": {hash: info}, "categories": {...}, "tags": [...], "server_state": {...}}


def snapshot(torrents: list[dict[str, Any]], categories: dict[str, Any], server_state: dict[str, Any]) -> Snapshot:
    tags = sorted({tag.strip() for t in torrents for tag in t["tags"].split(",") if tag.strip()})
    listed = {t["hash"]: {k: v for k, v in t.items() if k != "hash"} for t in torrents}
    return {"torrents": listed, "categories": categories, "tags": tags, "server_state": server_state}


def full(rid: int, now: Snapshot) -> dict[str, Any]:
    return {"rid": rid, "full_update": True, **now}


def changes(rid: int, before: Snapshot, now: Snapshot) -> dict[str, Any]:
    answer: dict[str, Any] = {"rid": rid}
    torrents = {}
    for torrent_hash, info in now["torrents"].items():
        old = before["torrents"].get(torrent_hash)
        changed = info if old is None else {k: v for k, v in info.items() if old.get(k) != v}
        if changed:
            torrents[torrent_hash] = changed
    if torrents:
        answer["torrents"] = torrents
    if removed := [h for h in before["torrents"] if h not in now["torrents"]]:
        answer["torrents_removed"] = removed
    categories = {n: c for n, c in now["categories"].items() if before["categories"].get(n) != c}
    if categories:
        answer["categories"] = categories
    if removed := [n for n in before["categories"] if n not in now["categories"]]:
        answer["categories_removed"] = removed
    if added := [t for t in now["tags"] if t not in before["tags"]]:
        answer["tags"] = added
    if removed := [t for t in before["tags"] if t not in now["tags"]]:
        answer["tags_removed"] = removed
    state = {k: v for k, v in now["server_state"].items() if before["server_state"].get(k) != v}
    if state:
        answer["server_state"] = state
    return answer
