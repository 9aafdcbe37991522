"""Info hashes for search results: from `infoHash`, else from the magnet, else from what `downloadUrl` gives —
a 301 to a `magnet:` (read, never followed) or the .torrent itself (SHA-1 of its info dictionary).
Results are deduplicated by hash, the best-seeded copy kept."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

import httpx

from libs.prowlarr import Release
from libs.torrent_meta import btih_from_magnet, fetch_torrent, info_hash

_HEX40 = re.compile(r"^[0-9a-fA-F]{40}$")


@dataclass(frozen=True)
class HashedRelease:
    info_hash: str  # 40 lowercase hex
    release: Release


def hash_in_release(release: Release) -> str | None:
    """What the result itself says, without a request."""
    if release.info_hash and _HEX40.match(release.info_hash):
        return release.info_hash.lower()
    for link in (release.magnet_url, release.download_url):
        if link and link.startswith("magnet:"):
            found = btih_from_magnet(link)
            if found:
                return found
    return None


async def hash_from_download(http: httpx.AsyncClient, url: str, timeout: float = 5.0) -> str | None:
    """Ask `downloadUrl`: a redirect to a magnet is read from its Location; a .torrent is hashed."""
    found = await fetch_torrent(http, url, timeout)
    if isinstance(found, str):
        return btih_from_magnet(found)
    if found is None:
        return None
    try:
        return info_hash(found)
    except ValueError:
        return None


async def hash_releases(http: httpx.AsyncClient, releases: list[Release], concurrency: int = 8) -> list[HashedRelease]:
    """Every release that has (or leads to) an info hash, once per hash, the best-seeded copy kept."""
    limit = asyncio.Semaphore(concurrency)

    async def one(release: Release) -> HashedRelease | None:
        found = hash_in_release(release)
        if found is None and release.download_url and not release.download_url.startswith("magnet:"):
            async with limit:
                found = await hash_from_download(http, release.download_url)
        return None if found is None else HashedRelease(found, release)

    best: dict[str, HashedRelease] = {}
    for item in await asyncio.gather(*(one(r) for r in releases)):
        if item is None:
            continue
        kept = best.get(item.info_hash)
        if kept is None or (item.release.seeders or 0) > (kept.release.seeders or 0):
            best[item.info_hash] = item
    return list(best.values())
