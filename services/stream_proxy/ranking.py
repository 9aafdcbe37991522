"""Ordering and trimming the candidates: cached first, then resolution, quality, seeders, size; the user's
filters (resolutions, size, languages, cached only) and a cap per resolution. Pure: no I/O here."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from libs.schemas.stremio import Filters, FoundRelease

from .files import TorrentFile
from .parsing import Parsed

RESOLUTION_ORDER = ("2160p", "1440p", "1080p", "720p", "576p", "480p", "360p", "unknown")
_RESOLUTION_RANK = {name: len(RESOLUTION_ORDER) - i for i, name in enumerate(RESOLUTION_ORDER)}
_RESOLUTION_ALIASES = {"4k": "2160p", "2k": "1440p", "1080i": "1080p", "720i": "720p", "576i": "576p"}

# rank-torrent-name's quality names, best first; what it does not know sits between DVD and TV rips
_QUALITY_RANK = {
    "BluRay REMUX": 10,
    "REMUX": 10,
    "BluRay": 9,
    "WEB-DL": 8,
    "WEB": 8,
    "WEBRip": 7,
    "WEB-DLRip": 7,
    "UHDRip": 6,
    "BDRip": 6,
    "BRRip": 6,
    "HDTV": 5,
    "DVD": 4,
    "DVDRip": 4,
    "HDTVRip": 3,
    "PDTV": 3,
    "SATRip": 3,
    "TVRip": 3,
    "PPVRip": 2,
    "VHS": 1,
    "VHSRip": 1,
    "R5": 0,
    "SCR": 0,
    "WEBCap": 0,
    "TeleCine": 0,
    "TeleSync": 0,
    "CAM": 0,
}
_UNKNOWN_QUALITY = 4


@dataclass(frozen=True)
class Candidate:
    found: FoundRelease
    parsed: Parsed
    cached: bool
    file: TorrentFile | None  # known for cached torrents (TorBox lists their files); else chosen at play

    @property
    def resolution(self) -> str:
        raw = self.parsed.resolution.lower()
        resolution = _RESOLUTION_ALIASES.get(raw, raw)
        return resolution if resolution in _RESOLUTION_RANK else "unknown"

    @property
    def size(self) -> int:
        """What will be watched: the chosen file, else the whole release."""
        return self.file.size if self.file is not None else self.found.size


def sort_key(candidate: Candidate) -> tuple:
    return (
        not candidate.cached,
        -_RESOLUTION_RANK[candidate.resolution],
        -_QUALITY_RANK.get(candidate.parsed.quality or "", _UNKNOWN_QUALITY),
        -(candidate.found.seeders or 0),
        -candidate.size,
        candidate.found.hash,  # a stable order for equal releases
    )


def passes(candidate: Candidate, filters: Filters) -> bool:
    if filters.cached_only and not candidate.cached:
        return False
    if filters.resolutions and candidate.resolution not in filters.resolutions:
        return False
    if filters.max_size_gb is not None and candidate.size > filters.max_size_gb * 1_000_000_000:
        return False
    if filters.languages:
        # a release that names no language is in the scene's default, English
        languages = candidate.parsed.languages or ("en",)
        if not set(languages) & set(filters.languages):
            return False
    return True


def rank(candidates: list[Candidate], filters: Filters) -> list[Candidate]:
    """The filtered candidates in order, at most `filters.per_resolution` of each resolution."""
    kept: list[Candidate] = []
    per_resolution: Counter[str] = Counter()
    for candidate in sorted(candidates, key=sort_key):
        if not passes(candidate, filters):
            continue
        if per_resolution[candidate.resolution] >= filters.per_resolution:
            continue
        per_resolution[candidate.resolution] += 1
        kept.append(candidate)
    return kept
