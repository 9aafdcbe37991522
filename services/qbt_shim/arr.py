"""Re-searching what TorBox cannot download. No qBittorrent state makes Sonarr or Radarr fail a download
(reference: qbt_anchors §1.5), so for a category whose Sonarr or Radarr is configured, a torrent TorBox
reports dead is removed from that application's queue with `blocklist=true`: it marks the release failed,
never grabs it again, and searches for another.

Configured with `QBT_ARR_INSTANCES`, JSON: `{"tv-sonarr": {"url": "http://sonarr:8989", "apiKey": "…"}}`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import httpx
import msgspec

from libs.telemetry import get_logger

log = get_logger(__name__)
# a download neither app matched to a series or film stays hidden from its queue unless asked for — by a
# name of each app's own (Sonarr's and Radarr's `Queue/QueueController.cs`); each ignores the other's
UNKNOWN_ITEMS = {"includeUnknownSeriesItems": "true", "includeUnknownMovieItems": "true"}


class ArrInstance(msgspec.Struct, forbid_unknown_fields=True, rename="camel"):
    url: str
    api_key: str


def parse_instances(raw: str | None) -> dict[str, ArrInstance]:
    """category → instance; a configuration that cannot be read stops the start with a sentence."""
    if not raw:
        return {}
    try:
        instances = msgspec.json.decode(raw, type=dict[str, ArrInstance])
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise SystemExit(f"QBT_ARR_INSTANCES is not valid: {error}") from None
    for category, instance in instances.items():
        if not instance.url.startswith(("http://", "https://")):
            raise SystemExit(f"QBT_ARR_INSTANCES: the url of {category!r} must start with http:// or https://")
    return instances


class _Record(msgspec.Struct):
    id: int
    downloadId: str | None = None


class _Page(msgspec.Struct):
    """Sonarr's and Radarr's PagingResource: both fields always there."""

    records: list[_Record]
    totalRecords: int


class ArrError(Exception):
    """Sonarr or Radarr answered something that is not its queue."""


class ArrRequeue:
    def __init__(self, http: httpx.AsyncClient, instances: Mapping[str, ArrInstance], attempts: int = 5) -> None:
        self.http = http
        self.instances = instances
        self.attempts = attempts
        self._tasks: set[asyncio.Task[None]] = set()

    def dead(self, torrent_hash: str, category: str) -> None:
        """Ask the category's Sonarr or Radarr to blocklist this download and search again, in the
        background (with a few tries: it may be restarting too)."""
        instance = self.instances.get(category)
        if instance is None:
            return
        task = asyncio.create_task(self._requeue(instance, torrent_hash, category))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _requeue(self, instance: ArrInstance, torrent_hash: str, category: str) -> None:
        for attempt in range(self.attempts):
            try:
                found = await self.requeue(instance, torrent_hash)
            except (httpx.HTTPError, ArrError) as error:
                log.warning("the *arr did not answer", category=category, error=type(error).__name__)
                await asyncio.sleep(min(60, 2**attempt))
                continue
            log.info("asked the *arr to search again", category=category, hash=torrent_hash, found=found)
            return

    async def requeue(self, instance: ArrInstance, torrent_hash: str) -> bool:
        """True when the download was in the queue and is now removed with blocklist."""
        base = instance.url.rstrip("/")
        headers = {"X-Api-Key": instance.api_key}
        page, wanted = 1, torrent_hash.upper()
        while True:
            response = await self.http.get(
                f"{base}/api/v3/queue",
                params={"page": page, "pageSize": 500, **UNKNOWN_ITEMS},
                headers=headers,
                timeout=15,
            )
            response.raise_for_status()
            try:
                listed = msgspec.json.decode(response.content, type=_Page)
            except msgspec.DecodeError:
                raise ArrError(f"{base} answered with something that is not a Sonarr/Radarr queue") from None
            match = next((r for r in listed.records if (r.downloadId or "").upper() == wanted), None)
            if match is not None:
                removed = await self.http.delete(
                    f"{base}/api/v3/queue/{match.id}",
                    params={"removeFromClient": "true", "blocklist": "true"},
                    headers=headers,
                    timeout=15,
                )
                removed.raise_for_status()
                return True
            if page * 500 >= listed.totalRecords or not listed.records:
                return False
            page += 1

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
