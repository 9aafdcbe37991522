"""Titles for IMDb ids from Cinemeta (`GET /meta/{movie|series}/{tt…}.json`), cached in memory.

A title only helps a search (indexers without id search need it), so any failure is "no title", never an
error, and a failure is not cached: the next search asks again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
import msgspec

from libs.cache import BoundedCache


@dataclass(frozen=True)
class Title:
    name: str
    year: int | None


class _Meta(msgspec.Struct):
    name: str | None = None
    year: str | int | None = None
    releaseInfo: str | None = None


class _Answer(msgspec.Struct):
    meta: _Meta | None = None


MAX_TITLES = 20_000
_YEAR = re.compile(r"(19|20)[0-9][0-9]")
_decoder = msgspec.json.Decoder(_Answer)


class CinemetaClient:
    def __init__(self, http: httpx.AsyncClient, base_url: str, ttl_seconds: float = 24 * 3600, timeout=2.0):
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.ttl = ttl_seconds
        self.timeout = timeout
        # (kind, id) → (the title, or None: known not to exist)
        self._cache: BoundedCache[tuple[str, str], tuple[Title | None]] = BoundedCache(MAX_TITLES, ttl_seconds)

    async def title(self, kind: str, imdb_id: str) -> Title | None:
        key = (kind, imdb_id)
        cached = self._cache.get(key)
        if cached is not None:
            return cached[0]
        try:
            response = await self.http.get(f"{self.base_url}/meta/{kind}/{imdb_id}.json", timeout=self.timeout)
            if response.status_code == 404:
                self._cache.set(key, (None,))
                return None
            response.raise_for_status()
            meta = _decoder.decode(response.content).meta
        except (httpx.HTTPError, msgspec.DecodeError):
            return None
        title = None
        if meta is not None and meta.name:
            found = _YEAR.search(str(meta.year or meta.releaseInfo or ""))
            title = Title(meta.name, int(found.group(0)) if found else None)
        self._cache.set(key, (title,))
        return title
