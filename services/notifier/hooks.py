"""Sonarr's and Radarr's webhooks (Settings → Connect → Webhook): the library paths an import, a rename or a
delete carries become media-server refreshes, as a download's paths do — the file where the *arr put it,
not where the download client left it.

`library_changes` is pure: an event in, (path, change) pairs out. `Hooks` reads a posted body once, records
the event (the last one of each source is shown on the settings page) and hands the changes to the
refresher. Event types that change nothing in the library (Grab, Health, SeriesAdd, …) are answered 200 and
ignored: Sonarr would otherwise retry them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

import asyncpg
import msgspec

from libs.errors import BadInput
from libs.schemas.arr_hooks import ArrFile, EventType, RadarrEvent, SonarrEvent
from libs.schemas.notifier import ArrHook, ArrHooks, HookEvent
from libs.web import ApiError, decode

from . import repository as repo
from .refresh import Refresher

Source = Literal["sonarr", "radarr"]
SOURCES: tuple[Source, ...] = ("sonarr", "radarr")
Change = tuple[str, str]  # (path as the *arr sees it, Created | Modified | Deleted)
# what each source sends that the notifier acts on (ImportComplete: Sonarr's one event for a whole import)
HANDLED = {
    "sonarr": {"Test", "Download", "ImportComplete", "Rename", "EpisodeFileDelete", "SeriesDelete"},
    "radarr": {"Test", "Download", "Rename", "MovieFileDelete", "MovieDelete"},
}
_PAYLOAD: dict[Source, type[SonarrEvent] | type[RadarrEvent]] = {"sonarr": SonarrEvent, "radarr": RadarrEvent}


def hooks_token(secret_key: str) -> str:
    """The token the webhooks carry: derived from SECRET_KEY (the same for every replica, nothing stored),
    and telling nothing of it."""
    digest = hmac.new(secret_key.encode(), b"chillproxy arr webhooks", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:32]


def in_folder(folder: str, relative: str) -> str:
    """`relative` inside `folder`, with the folder's own separator (Sonarr on Windows sends backslashes)."""
    separator = "\\" if "\\" in folder and "/" not in folder else "/"
    return folder.rstrip("/\\") + separator + relative.lstrip("/\\")


def _path(file: ArrFile, folder: str) -> str | None:
    if file.path:
        return file.path
    if file.relative_path and folder:
        return in_folder(folder, file.relative_path)
    return None


@dataclass(frozen=True)
class _Event:
    """A Sonarr or a Radarr event, told the same way: the series' or film's folder and its files."""

    event_type: str
    title: str
    folder: str
    imported: list[ArrFile]
    replaced: list[ArrFile]  # the old files of an upgrade
    renamed: list[ArrFile]
    deleted_file: ArrFile | None
    folder_deleted: bool


def _told(event: SonarrEvent | RadarrEvent) -> _Event:
    replaced = event.deleted_files if isinstance(event.deleted_files, list) else []
    folder_deleted = event.deleted_files is True
    if isinstance(event, SonarrEvent):
        files = [*([event.episode_file] if event.episode_file else []), *event.episode_files]
        return _Event(
            event.event_type, event.series.title, event.series.path, files, replaced,
            event.renamed_episode_files, event.episode_file, folder_deleted,
        )  # fmt: skip
    files = [event.movie_file] if event.movie_file else []
    return _Event(
        event.event_type, event.movie.title, event.movie.folder_path, files, replaced,
        event.renamed_movie_files, event.movie_file, folder_deleted,
    )  # fmt: skip


def library_changes(event: SonarrEvent | RadarrEvent) -> list[Change]:
    """What the event changed in the library, as the *arr sees the paths. Pure."""
    told = _told(event)
    kind = told.event_type
    changes: list[Change] = []
    if kind in ("Download", "ImportComplete"):
        changes += [(path, "Deleted") for f in told.replaced if (path := _path(f, told.folder))]
        changes += [(path, "Created") for f in told.imported if (path := _path(f, told.folder))]
    elif kind == "Rename":
        changes += [(f.previous_path, "Deleted") for f in told.renamed if f.previous_path]
        changes += [(path, "Created") for f in told.renamed if (path := _path(f, told.folder))]
    elif kind in ("EpisodeFileDelete", "MovieFileDelete") and told.deleted_file is not None:
        changes += [(path, "Deleted") for path in [_path(told.deleted_file, told.folder)] if path]
    elif kind in ("SeriesDelete", "MovieDelete") and told.folder_deleted and told.folder:
        changes.append((told.folder, "Deleted"))
    return changes


Event = SonarrEvent | RadarrEvent | EventType  # EventType alone: a type the notifier does not act on


def read_event(source: Source, body: bytes) -> Event:
    """The posted body, decoded once at the edge: a 400 naming the field when it is not what the *arr sends."""
    try:
        head = decode(body, EventType)
        return decode(body, _PAYLOAD[source]) if head.event_type in HANDLED[source] else head
    except ApiError as error:  # not JSON (400), or a field of the wrong shape (422): a malformed event
        raise BadInput(f"not a {source.capitalize()} webhook event: {error.detail}", field=error.field) from None


class Hooks:
    def __init__(self, db: asyncpg.Pool, refresher: Refresher, secret_key: str) -> None:
        self.db = db
        self.refresher = refresher
        self.token = hooks_token(secret_key)

    async def receive(self, source: Source, event: Event) -> HookEvent:
        """Queue what the event changed in the library, and keep it as the source's last event."""
        if isinstance(event, EventType):  # a type that changes nothing in the library
            handled, title, queued = False, None, 0
        else:
            handled, title = True, _told(event).title or None
            queued = await self.refresher.imported(library_changes(event))
        row = await repo.record_hook_event(
            self.db, source, event.event_type, event.instance_name, title, queued, handled
        )
        return msgspec.convert(row, HookEvent, from_attributes=True)

    async def view(self) -> ArrHooks:
        last = await repo.last_hook_events(self.db)

        def hook(source: Source) -> ArrHook:
            row = last.get(source)
            event = msgspec.convert(row, HookEvent, from_attributes=True) if row else None
            return ArrHook(path=f"/hooks/{source}", last_event=event)

        return ArrHooks(token=self.token, sonarr=hook("sonarr"), radarr=hook("radarr"))
