"""Ordering and trimming the candidates: cached first, then the user's preferred languages, then the sort
preset — best quality (resolution, source, HDR, audio, codec, seeders, size), smallest file, or balanced
(resolution and source, then the smaller file); the user's filters (resolutions, size, languages, cached
only, kinds left out, keywords) and a cap per resolution. Pure: no I/O here."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

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
_HDR_RANK = {"DV": 4, "HDR10+": 3, "HDR10": 2, "HDR": 2, "HLG": 1}
_AUDIO_RANK = {"Atmos": 6, "TrueHD": 5, "DTS-HD": 5, "PCM": 4, "FLAC": 4, "DD+": 3, "DTS": 3, "DD": 2, "AAC": 1}
_CODEC_RANK = {"AV1": 3, "HEVC": 2, "AVC": 1}
# what each exclusion leaves out, by RTN's quality name
_EXCLUDED_QUALITIES = {
    "cam": {"CAM", "WEBCap"},
    "telesync": {"TeleSync", "TeleCine"},
    "screener": {"SCR", "R5"},
}


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


def _best(ranks: dict[str, int], names: tuple[str, ...]) -> int:
    return max((ranks.get(name, 0) for name in names), default=0)


def sort_key(candidate: Candidate, filters: Filters) -> tuple:
    parsed = candidate.parsed
    preferred = bool(filters.prefer_languages) and not set(_languages(candidate)) & set(filters.prefer_languages)
    first = (not candidate.cached, preferred)
    resolution = -_RESOLUTION_RANK[candidate.resolution]
    source = -_QUALITY_RANK.get(parsed.quality or "", _UNKNOWN_QUALITY)
    stable = candidate.found.hash  # a stable order for equal releases
    if filters.sort == "smallest":
        return (*first, candidate.size, resolution, source, stable)
    if filters.sort == "balanced":
        return (*first, resolution, source, candidate.size, -(candidate.found.seeders or 0), stable)
    return (
        *first,
        resolution,
        source,
        -_best(_HDR_RANK, parsed.hdr),
        -_best(_AUDIO_RANK, parsed.audio),
        -_CODEC_RANK.get(parsed.codec or "", 0),
        -(candidate.found.seeders or 0),
        -candidate.size,
        stable,
    )


def _languages(candidate: Candidate) -> tuple[str, ...]:
    # a release that names no language is in the scene's default, English
    return candidate.parsed.languages or ("en",)


@lru_cache(maxsize=512)
def _keyword(word: str) -> re.Pattern[str]:
    return re.compile(r"(?<![a-z0-9])" + re.escape(word.lower()) + r"(?![a-z0-9])")


def excluded(candidate: Candidate, filters: Filters) -> bool:
    """Left out by the kinds of release the user does not want, or by a keyword of theirs in its title."""
    parsed = candidate.parsed
    for kind in filters.exclude:
        if (kind == "3d" and parsed.three_d) or (kind == "hardcoded" and parsed.hardcoded):
            return True
        if (parsed.quality or "") in _EXCLUDED_QUALITIES.get(kind, ()):
            return True
    title = candidate.found.title.lower()
    return any(_keyword(word).search(title) for word in filters.exclude_keywords)


def passes(candidate: Candidate, filters: Filters) -> bool:
    if filters.cached_only and not candidate.cached:
        return False
    if (filters.exclude or filters.exclude_keywords) and excluded(candidate, filters):
        return False
    if filters.resolutions and candidate.resolution not in filters.resolutions:
        return False
    if filters.max_size_gb is not None and candidate.size > filters.max_size_gb * 1_000_000_000:
        return False
    if filters.languages and not set(_languages(candidate)) & set(filters.languages):
        return False
    return True


def rank(candidates: list[Candidate], filters: Filters) -> list[Candidate]:
    """The filtered candidates in order, at most `filters.per_resolution` of each resolution."""
    kept: list[Candidate] = []
    per_resolution: Counter[str] = Counter()
    for candidate in sorted(candidates, key=lambda c: sort_key(c, filters)):
        if not passes(candidate, filters):
            continue
        if per_resolution[candidate.resolution] >= filters.per_resolution:
            continue
        per_resolution[candidate.resolution] += 1
        kept.append(candidate)
    return kept
