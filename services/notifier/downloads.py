"""Download clients and the downloads tracked in them.

Clients are stored with their secrets encrypted (shown masked; the mask sent back keeps them). Every poll
asks each enabled client, all at once and each on its own (one unreachable or talking nonsense never stops
the others), what it is downloading; a tracked download is matched by the client's id, else by its
normalised title; what changed is stored and published on `download.status` (through the outbox), and a
completion with its final path refreshes the media servers.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import msgspec
from msgspec import UNSET

from libs.crypto import MASK, SecretBox, mask
from libs.db import transaction
from libs.errors import Invalid, NotFound
from libs.leases import Leases
from libs.outbox import Outbox
from libs.schemas import ALERT_RAISED, DOWNLOAD_STATUS, Alert, DownloadStatus
from libs.schemas.notifier import ClientCreate, ClientPatch, ClientView, DownloadCreate, DownloadView, GrabRequest
from libs.tasks import every
from libs.telemetry import get_logger
from libs.torrent_meta import fetch_torrent, under

from . import repository as repo
from .clients import ClientConfig, ClientError, ClientItem, DownloadClient, Grabbed, adapter_for

log = get_logger(__name__)
_WORDS = re.compile(r"[^a-z0-9]+")


def normalised(title: str) -> str:
    """`The.Show.S01E02.1080p-GRP` and `The Show S01E02 1080p GRP` are the same download."""
    return _WORDS.sub(" ", title.lower()).strip()


def _check(client_type: str, api_key: str | None) -> None:
    if client_type == "sabnzbd" and not api_key:
        raise Invalid("SABnzbd needs its API key", field="apiKey")


def _changed(row: repo.DownloadRow, item: ClientItem) -> bool:
    stored = (row.state, round(row.progress, 4), row.speed_bytes, row.eta_seconds, row.final_path)
    return (item.state, round(item.progress, 4), item.speed_bytes, item.eta_seconds, item.final_path) != stored or (
        item.error != row.error
    )


class Downloads:
    def __init__(self, db: asyncpg.Pool, box: SecretBox, http: httpx.AsyncClient, outbox: Outbox) -> None:
        self.db = db
        self.box = box
        self.http = http
        self.outbox = outbox
        self.on_completed: Callable[[list[str], asyncpg.Connection], Awaitable[None]] | None = None
        self._adapters: dict[str, tuple[tuple, DownloadClient]] = {}  # client id → (its settings, adapter)

    async def adapter(self, row: repo.ClientRow) -> DownloadClient:
        """The client's adapter, kept between polls (a session survives) until its settings change."""
        settings = tuple(getattr(row, k) for k in ("type", "host", "port", "use_ssl", "api_key", "username",
                                                   "password", "category", "name"))  # fmt: skip
        known = self._adapters.get(str(row.id))
        if known is not None and known[0] == settings:
            return known[1]
        if known is not None:
            await known[1].aclose()
        adapter = adapter_for(self.config_of(row), self.http)
        self._adapters[str(row.id)] = (settings, adapter)
        return adapter

    async def health(self) -> tuple[bool, str]:
        """For /health: the enabled clients whose last answer was an error, and why."""
        failing = await repo.failing_clients(self.db)
        if not failing:
            return True, "every enabled client answers"
        return False, "; ".join(f"{row.name}: {row.last_error}" for row in failing)

    async def aclose(self) -> None:
        for _, adapter in self._adapters.values():
            await adapter.aclose()
        self._adapters.clear()

    # clients

    def _seal(self, value: str | None) -> str | None:
        return self.box.encrypt(value) if value else None

    def _open(self, value: str | None) -> str | None:
        return self.box.decrypt(value) if value else None

    def config_of(self, row: repo.ClientRow) -> ClientConfig:
        return ClientConfig(
            id=str(row.id),
            type=row.type,
            name=row.name,
            host=row.host,
            port=row.port,
            use_ssl=row.use_ssl,
            api_key=self._open(row.api_key),
            username=row.username,
            password=self._open(row.password),
            category=row.category,
        )

    def _view(self, row: repo.ClientRow) -> ClientView:
        config = self.config_of(row)
        return ClientView(
            id=config.id,
            type=row.type,
            name=config.name,
            host=config.host,
            port=config.port,
            use_ssl=config.use_ssl,
            api_key=mask(config.api_key),
            username=config.username,
            password=mask(config.password),
            category=config.category,
            enabled=row.enabled,
            priority=row.priority,
            last_error=row.last_error,
            last_checked_at=row.last_checked_at,
        )

    async def clients(self) -> list[ClientView]:
        return [self._view(r) for r in await repo.clients(self.db)]

    async def _row(self, client_id: str) -> repo.ClientRow:
        row = await repo.client(self.db, client_id)
        if row is None:
            raise NotFound(f"no download client {client_id}")
        return row

    async def add_client(self, body: ClientCreate) -> ClientView:
        _check(body.type, body.api_key)
        values = {name: getattr(body, name) for name in repo.CLIENT_FIELDS}
        values |= {"api_key": self._seal(body.api_key), "password": self._seal(body.password)}
        return self._view(await repo.insert_client(self.db, values))

    async def update_client(self, client_id: str, patch: ClientPatch) -> ClientView:
        row = await self._row(client_id)
        changes: dict[str, Any] = {}
        for name in ("name", "host", "port", "use_ssl", "username", "category", "enabled", "priority"):
            value = getattr(patch, name)
            if value is not UNSET:
                changes[name] = value
        moved = any(name in changes and changes[name] != getattr(row, name) for name in ("host", "port", "use_ssl"))
        for name in ("api_key", "password"):
            value = getattr(patch, name)
            if value is not UNSET and not (value or "").startswith(MASK):
                changes[name] = self._seal(value)
            elif moved and getattr(row, name):  # a stored secret goes only to the address it was entered for
                field = "apiKey" if name == "api_key" else name
                raise Invalid(f"the client's address changed: enter its {field} again", field=field)
        api_key = self._open(changes.get("api_key") or row.api_key)
        _check(row.type, api_key)
        if changes:
            row = await repo.update_client(self.db, row.id, changes)
        return self._view(row)

    async def delete_client(self, client_id: str) -> None:
        row = await self._row(client_id)
        await repo.delete_client(self.db, row.id)
        known = self._adapters.pop(str(row.id), None)  # its session and connections go with it
        if known is not None:
            await known[1].aclose()

    async def test_client(self, client_id: str) -> tuple[bool, str]:
        row = await self._row(client_id)
        try:
            version = await (await self.adapter(row)).test()
        except ClientError as error:
            await self._checked(row.id, str(error))
            return False, str(error)
        await self._checked(row.id, None)
        return True, version

    async def _checked(self, client_id: Any, error: str | None) -> None:
        await repo.mark_checked(self.db, client_id, error)

    # downloads

    def _download_view(self, row: repo.DownloadRow) -> DownloadView:
        fields = msgspec.structs.asdict(row)
        client_type = fields.pop("type")
        return DownloadView(**fields | {"id": str(row.id), "client_id": str(row.client_id), "client_type": client_type})

    async def downloads(self) -> list[DownloadView]:
        return [self._download_view(r) for r in await repo.downloads(self.db)]

    async def track(self, body: DownloadCreate) -> DownloadView:
        if body.client_download_id is None and body.title is None:
            raise Invalid("give the client's id of the download, or its title", field="clientDownloadId")
        client = await self._row(body.client_id)
        return await self._insert_download(client, body.client_download_id, body.title)

    async def _insert_download(
        self,
        client: repo.ClientRow,
        client_download_id: str | None,
        title: str | None,
        guid: str | None = None,
        indexer_id: int | None = None,
    ) -> DownloadView:
        if client_download_id and client.type in ("qbittorrent", "transmission"):
            client_download_id = client_download_id.lower()  # info hashes: the clients list them lowercase
        row = await repo.insert_download(self.db, client.id, client_download_id or None, title, guid, indexer_id)
        return self._download_view(msgspec.structs.replace(row, type=client.type))

    async def grab(self, body: GrabRequest, prowlarr_url: str | None) -> DownloadView:
        if not prowlarr_url or not under(body.download_url, prowlarr_url):
            raise Invalid(
                "the download link must be one of the configured Prowlarr's (PROWLARR_URL)", field="downloadUrl"
            )
        client = await self._row(body.client_id)
        fetched = await fetch_torrent(self.http, body.download_url, timeout=30.0)
        if fetched is None:
            raise Invalid("the download link gave nothing usable (an error, or too big)", field="downloadUrl")
        if isinstance(fetched, str):
            grabbed = Grabbed(body.title, magnet=fetched)
        elif fetched[:1] == b"d":
            grabbed = Grabbed(body.title, torrent=fetched)
        elif fetched.lstrip()[:1] == b"<":
            grabbed = Grabbed(body.title, nzb=fetched)
        else:
            raise Invalid("the download link gave neither a torrent nor an NZB", field="downloadUrl")
        try:
            client_download_id = await (await self.adapter(client)).add(grabbed)
        except ClientError as error:
            raise Invalid(str(error), field="clientId") from None
        log.info("grabbed", client=client.name, indexer=body.indexer_id, download=client_download_id)
        return await self._insert_download(client, client_download_id, body.title, body.guid, body.indexer_id)

    # polling

    async def poll(self) -> None:
        """One round over every enabled client that has something open; each on its own."""
        clients = await repo.clients_with_open_downloads(self.db)
        await asyncio.gather(*(self._poll_client(row) for row in clients))

    async def _poll_client(self, client: repo.ClientRow) -> None:
        try:
            items = await (await self.adapter(client)).items()
        except ClientError as error:
            await self._checked(client.id, str(error))
            log.warning("download client unavailable", client=client.name, error=str(error))
            return
        except Exception as error:  # garbage from a client: logged and skipped, the others go on
            await self._checked(client.id, f"unreadable answer ({type(error).__name__})")
            log.warning("download client answered garbage", client=client.name, error=type(error).__name__)
            return
        await self._checked(client.id, None)
        by_id = {item.id: item for item in items}
        by_title = {normalised(item.title): item for item in items}
        tracked = await repo.open_downloads(self.db, client.id)
        changes = []
        for row in tracked:
            item = by_id.get(row.client_download_id or "") or by_title.get(normalised(row.title or ""))
            if item is not None and _changed(row, item):
                changes.append((row, item))
        if changes:
            await self._store(client, changes)

    async def _store(self, client: repo.ClientRow, changes: list[tuple[repo.DownloadRow, ClientItem]]) -> None:
        """Every change of one poll in one transaction: the rows and their `download.status` events."""
        now = datetime.now(UTC)
        events = [
            DownloadStatus(
                download_id=str(row.id),
                client_id=str(client.id),
                client_type=client.type,
                title=item.title or row.title or "",
                state=item.state,
                progress=item.progress,
                speed_bytes=item.speed_bytes,
                eta_seconds=item.eta_seconds,
                final_path=item.final_path,
                error=item.error,
            )
            for row, item in changes
        ]
        async with transaction(self.db) as connection:
            await repo.update_downloads(
                connection,
                [
                    (
                        row.id,
                        item.id,
                        item.state,
                        item.progress,
                        item.speed_bytes,
                        item.eta_seconds,
                        item.final_path,
                        item.error,
                        item.title,
                        now,
                    )
                    for row, item in changes
                ],
            )
            await self.outbox.add_many(DOWNLOAD_STATUS, events, connection)
            failed = [
                _failed_alert(client, row, item)
                for row, item in changes
                if item.state == "failed" and row.state != "failed"
            ]
            if failed:  # told through the outbox with the change: none lost
                await self.outbox.add_many(ALERT_RAISED, failed, connection)
            finished = [
                item.final_path or "" for row, item in changes if item.state == "completed" and row.state != "completed"
            ]
            if finished and self.on_completed is not None:  # queued with the change: both or neither
                await self.on_completed([path for path in finished if path], connection)

    async def run(self, interval: float, wake: asyncio.Event, lease: Leases | None = None) -> None:
        await every(interval, self.poll, what="poll round", first_now=True, wake=wake, lease=lease)


def _failed_alert(client: repo.ClientRow, row: repo.DownloadRow, item: ClientItem) -> Alert:
    title = item.title or row.title or "a download"
    return Alert(
        subject=f"download:{row.id}", state="failing", title=f"Download failed: {title}",
        message=f"{title} failed in {client.name} ({client.type}): {item.error or 'no reason given'}.",
        source="notifier",
    )  # fmt: skip


__all__ = ["Downloads", "Invalid", "NotFound"]
