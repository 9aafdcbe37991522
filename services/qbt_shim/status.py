"""`torrent.status` on every change of a torrent's phase (the notifier refreshes media servers on
`completed`, with the finished files), through the outbox: none is lost while NATS is away."""

from __future__ import annotations

from pathlib import PurePosixPath

import asyncpg

from libs.outbox import Outbox
from libs.schemas import TORRENT_STATUS, TorrentState, TorrentStatus

_STATE_OF_PHASE: dict[str, TorrentState] = {
    "queued": "queued",
    "submitted": "queued",
    "cloud": "downloading",
    "local": "downloading",
    "completed": "completed",
    "error": "error",
}


class StatusEvents:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    async def changed(
        self,
        torrent_hash: str,
        name: str,
        phase: str,
        category: str = "",
        *,
        content_path: str | None = None,
        files: list[str] | None = None,
        error: str | None = None,
        deleted: bool = False,
        connection: asyncpg.Connection | None = None,
    ) -> None:
        """Pass the connection of the transaction that made the change: the event commits with it."""
        event = TorrentStatus(
            hash=torrent_hash,
            name=name,
            state="deleted" if deleted else _STATE_OF_PHASE.get(phase, "downloading"),
            category=category,
            content_path=content_path,
            files=[str(PurePosixPath(content_path) / f) for f in files] if content_path and files else [],
            error=error,
        )
        await self.outbox.add(TORRENT_STATUS, event, connection)
