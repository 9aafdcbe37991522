"""Which hashes TorBox has cached, with their files. TorBox's cache is global, not per account, so the
answer is kept in NATS KV for every user, and only hashes not known yet are asked about — all in one POST."""

from __future__ import annotations

from libs.bus import KeyValueCache
from libs.flight import SingleFlight
from libs.schemas.stremio import Availability
from libs.schemas.torbox import CachedFile
from libs.torbox import TorBoxClient

Known = dict[str, list[CachedFile] | None]


class AvailabilityChecker:
    def __init__(self, torbox: TorBoxClient, cache: KeyValueCache[Availability]) -> None:
        self.torbox = torbox
        self.cache = cache
        self._flight: SingleFlight[Known] = SingleFlight()

    async def check(self, key: str, cache_key: str, hashes: list[str]) -> Known:
        """hash → its files when cached, None when not. `TorBoxError` when TorBox cannot say."""
        stored = await self.cache.get(cache_key)
        known: Known = dict(stored.torrents) if stored else {}
        missing = [h for h in hashes if h not in known]
        if missing:
            known.update(await self._flight.run((cache_key, tuple(missing)), lambda: self._ask(key, missing)))
            await self.cache.put(cache_key, Availability(known))
        return {h: known[h] for h in hashes if h in known}

    async def _ask(self, key: str, hashes: list[str]) -> Known:
        cached = await self.torbox.check_cached(key, hashes)
        return {h: (cached[h].files if h in cached else None) for h in hashes}
