"""What the qBittorrent API does with torrents and categories, between the HTTP edge and the SQL.

An add is recorded (with the info hash the client computed) and answered at once; TorBox hears of it from
the cloud worker. A delete removes the torrent here, at TorBox, and — when asked — its files, only ever
under DOWNLOAD_ROOT.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from libs.db import transaction
from libs.telemetry import get_logger
from libs.torrent_meta import btih_from_magnet, info_hash, magnet_name, torrent_name

from . import repository as repo
from . import views
from .paths import PathRefused, confine, safe_name
from .status import StatusEvents
from .views import Live, content_path, torrent_info

log = get_logger(__name__)
_CATEGORY = re.compile(r"^[^\\/]([^\\]*[^\\/])?$")

# qBittorrent's `filter` values (5.x names and the 4.x ones Homarr and older clients send)
_FILTERS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "all": lambda t: True,
    "downloading": lambda t: t["state"] in ("downloading", "metaDL", "stalledDL", "queuedDL", "stoppedDL"),
    "seeding": lambda t: t["state"] in ("uploading", "stalledUP", "queuedUP", "forcedUP"),
    "completed": lambda t: t["progress"] >= 1,
    "stopped": lambda t: t["state"] in ("stoppedDL", "stoppedUP"),
    "paused": lambda t: t["state"] in ("stoppedDL", "stoppedUP"),
    "running": lambda t: t["state"] not in ("stoppedDL", "stoppedUP"),
    "resumed": lambda t: t["state"] not in ("stoppedDL", "stoppedUP"),
    "active": lambda t: t["dlspeed"] > 0 or t["upspeed"] > 0,
    "inactive": lambda t: t["dlspeed"] == 0 and t["upspeed"] == 0,
    "stalled": lambda t: t["state"] in ("stalledDL", "stalledUP"),
    "stalled_downloading": lambda t: t["state"] == "stalledDL",
    "stalled_uploading": lambda t: t["state"] == "stalledUP",
    "errored": lambda t: t["state"] in ("error", "missingFiles"),
}


async def _nothing(rows: list[repo.TorrentRow]) -> None:
    return None


class Conflict(Exception):
    """409 with qBittorrent's words."""


class BadTorrent(Exception):
    """415: a file that is not a torrent."""


@dataclass(frozen=True)
class NewTorrent:
    hash: str
    name: str
    magnet: str | None = None
    torrent_file: bytes | None = None


USE_GLOBAL, NO_LIMIT = -2, -1
MAX_RATIO, MAX_MINUTES = 9998.0, 525_600  # qBittorrent's bounds (a year of seeding)


@dataclass(frozen=True)
class ShareLimits:
    """A torrent's share limits as qBittorrent keeps them: -2 the global limit, -1 none; times in minutes."""

    ratio: float = USE_GLOBAL
    seeding_minutes: int = USE_GLOBAL
    inactive_minutes: int = USE_GLOBAL

    @classmethod
    def clamped(cls, ratio: float, seeding_minutes: int, inactive_minutes: int = USE_GLOBAL) -> ShareLimits:
        """As qBittorrent stores what it is sent: below -2 is no limit, above its maximum the maximum."""

        def bound(value, top):
            return NO_LIMIT if value < USE_GLOBAL else min(value, top)

        return cls(bound(ratio, MAX_RATIO), bound(seeding_minutes, MAX_MINUTES), bound(inactive_minutes, MAX_MINUTES))

    def row(self) -> tuple[float, int, int]:
        return (self.ratio, self.seeding_minutes, self.inactive_minutes)


@dataclass(frozen=True)
class AddOptions:
    """What a `torrents/add` says of where and how its torrents go."""

    category: str = ""
    savepath: str | None = None
    tags: str = ""
    stopped: bool = False
    limits: ShareLimits = ShareLimits()


def tag_list(raw: str | None) -> list[str]:
    """qBittorrent's comma-separated tags, trimmed, the empty ones dropped."""
    return [tag.strip() for tag in (raw or "").split(",") if tag.strip()]


def from_magnet(magnet: str) -> NewTorrent | None:
    found = btih_from_magnet(magnet.strip())
    if found is None:
        return None
    return NewTorrent(found, safe_name(magnet_name(magnet) or found), magnet=magnet.strip())


def from_torrent_file(data: bytes, filename: str) -> NewTorrent:
    try:
        found = info_hash(data)
    except ValueError:
        raise BadTorrent(f"Error: '{filename}' is not a valid torrent file.") from None
    return NewTorrent(found, safe_name(torrent_name(data) or found), torrent_file=data)


def valid_category(name: str) -> bool:
    return bool(_CATEGORY.match(name)) and "//" not in name and ".." not in name.split("/") and len(name) <= 200


class TorrentService:
    def __init__(self, db: asyncpg.Pool, root: Path, events: StatusEvents, live: Callable[[str], Live | None]) -> None:
        self.db = db
        self.root = root
        self.events = events
        self.live = live
        self.on_added: Callable[[], None] = lambda: None  # the cloud worker's nudge
        self.on_started: Callable[[], None] = lambda: None  # the cloud worker's and the downloader's
        self.on_deleted: Callable[[list[repo.TorrentRow]], Awaitable[None]] = _nothing

    # categories

    async def categories(self) -> dict[str, dict[str, str]]:
        return {r.name: {"name": r.name, "savePath": r.save_path} for r in await repo.categories(self.db)}

    def category_path(self, name: str, save_path: str) -> str:
        return str(confine(self.root, save_path or name))

    async def create_category(self, name: str, save_path: str) -> None:
        if not name:
            raise ValueError("Category cannot be empty")
        if not valid_category(name):
            raise Conflict("Incorrect category name")
        if not await repo.create_category(self.db, name, self.category_path(name, save_path)):
            raise Conflict("Unable to create category")

    async def edit_category(self, name: str, save_path: str) -> None:
        if not name:
            raise ValueError("Category cannot be empty")
        if not await repo.edit_category(self.db, name, self.category_path(name, save_path)):
            raise Conflict("Unable to edit category")

    async def remove_categories(self, names: list[str]) -> None:
        await repo.remove_categories(self.db, [n for n in names if n])

    async def set_category(self, hashes: list[str] | None, category: str) -> None:
        """As qBittorrent: an unknown category is a conflict only when there is a torrent to put in it."""
        existing = [row.hash for row in await repo.torrents(self.db, hashes=hashes)]
        if not existing:
            return
        if category and category not in await self.categories():
            raise Conflict("Incorrect category name")
        await repo.set_category(self.db, existing, category)

    # torrents

    async def save_path_for(self, category: str, savepath: str | None) -> str:
        """An explicit save path (inside the root), else the category's, else the root."""
        if savepath:
            return str(confine(self.root, savepath))
        if category:
            known = await self.categories()
            if category not in known:
                if not valid_category(category):
                    raise Conflict("Incorrect category name")
                await repo.create_category(self.db, category, self.category_path(category, ""))
                known = await self.categories()
            return known[category]["savePath"]
        return str(self.root.resolve())

    async def add(self, items: list[NewTorrent], options: AddOptions) -> int:
        """Record each new torrent; how many were new — a hash already here is not added again, and an add of
        nothing new is qBittorrent's `Fails.` (Sonarr then knows the grab did not happen)."""
        category = options.category
        save_path = await self.save_path_for(category, options.savepath)
        tags = sorted(set(tag_list(options.tags)))
        added = 0
        for item in items:
            async with transaction(self.db) as connection:
                new = await repo.insert_torrent(
                    connection,
                    hash=item.hash,
                    name=item.name,
                    magnet=item.magnet,
                    torrent_file=item.torrent_file,
                    category=category,
                    tags=",".join(tags),
                    save_path=save_path,
                    stopped=options.stopped,
                    limits=options.limits.row(),
                )
                if new:
                    added += 1
                    await repo.create_tags(connection, tags)
                    await self.events.changed(item.hash, item.name, "queued", category, connection=connection)
        if added:
            self.on_added()
        return added

    async def torrent(self, torrent_hash: str) -> repo.TorrentRow | None:
        return await repo.torrent(self.db, torrent_hash)

    def properties(self, row: repo.TorrentRow) -> dict[str, Any]:
        return views.properties(row, self.live(row.hash), datetime.now(UTC))

    async def files(self, row: repo.TorrentRow) -> list[dict[str, Any]]:
        return views.files(row, await repo.files(self.db, row.hash))

    async def set_stopped(self, hashes: list[str] | None, stopped: bool) -> None:
        await repo.set_stopped(self.db, hashes, stopped)
        if not stopped:
            self.on_started()

    async def info(
        self,
        *,
        filter: str = "all",
        category: str | None = None,
        tag: str | None = None,
        hashes: list[str] | None = None,
        sort: str | None = None,
        reverse: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        rows = await repo.torrents(self.db, hashes=hashes, category=category)
        listed = [torrent_info(row, self.live(row.hash), now) for row in rows]
        keep = _FILTERS.get(filter, _FILTERS["all"])
        listed = [t for t in listed if keep(t) and (tag is None or tag in t["tags"].split(","))]
        if sort and listed and sort in listed[0]:
            listed.sort(key=lambda t: t[sort], reverse=reverse)
        elif reverse:
            listed.reverse()
        if offset:
            listed = listed[offset:]  # a negative offset counts from the end, as in qBittorrent
        return listed[:limit] if limit and limit > 0 else listed

    async def set_share_limits(self, hashes: list[str] | None, limits: ShareLimits) -> None:
        await repo.set_share_limits(self.db, hashes, limits.row())

    # tags

    async def tags(self) -> list[str]:
        return await repo.tags(self.db)

    async def create_tags(self, tags: list[str]) -> None:
        await repo.create_tags(self.db, tags)

    async def add_tags(self, hashes: list[str] | None, tags: list[str]) -> None:
        await repo.add_tags(self.db, hashes, tags)

    async def remove_tags(self, hashes: list[str] | None, tags: list[str] | None) -> None:
        await repo.remove_tags(self.db, hashes, tags)

    async def delete_tags(self, tags: list[str]) -> None:
        await repo.delete_tags(self.db, tags)

    async def delete(self, hashes: list[str] | None, delete_files: bool) -> None:
        async with transaction(self.db) as connection:
            removed = await repo.delete_torrents(connection, await self._resolve(hashes))
            for row in removed:
                await self.events.changed(
                    row.hash, row.name, row.phase, row.category, deleted=True, connection=connection
                )
        if not removed:
            return
        await self.on_deleted(removed)  # downloads stopped first: nothing writes into what is removed next
        if delete_files:
            for row in removed:
                await asyncio.to_thread(self._remove_files, row)

    def _remove_files(self, row: repo.TorrentRow) -> None:
        """The torrent's own files and their unfinished parts, then the folders they leave empty up to its
        folder — never anything else in it: a torrent named like a category folder (`dn=tv-sonarr`) shares
        that folder with other torrents' files. Only under DOWNLOAD_ROOT, never the root or the save path."""
        root = self.root.resolve()
        try:
            folder = confine(self.root, content_path(row))
        except PathRefused:
            log.warning("files left in place: outside the download root", hash=row.hash)
            return
        keep = {root, Path(row.save_path).resolve()}
        emptied: set[Path] = set()
        for relative in row.files:
            try:
                target = confine(self.root, str(folder / relative))
            except PathRefused:
                continue
            if folder not in target.parents:
                continue
            for path in (target, target.with_name(target.name + ".part")):
                if path.is_file() or path.is_symlink():
                    path.unlink(missing_ok=True)
            emptied.update(p for p in target.parents if p == folder or folder in p.parents)
        for directory in sorted(emptied, key=lambda p: len(p.parts), reverse=True):  # deepest first
            if directory not in keep:
                with contextlib.suppress(OSError):  # not empty: someone else's files are in it
                    directory.rmdir()

    async def _resolve(self, hashes: list[str] | None) -> list[str]:
        """`None` is qBittorrent's `all`."""
        if hashes is not None:
            return hashes
        return [row.hash for row in await repo.torrents(self.db)]
