"""Reading release titles with rank-torrent-name (over parsett): run in the parsing workers only. The service
process never imports RTN — about 12 MiB it would hold for nothing, in every replica (TitleParser calls these
functions in its workers by name)."""

from __future__ import annotations

import re
from functools import lru_cache

from RTN import parse as rtn_parse
from RTN import title_match

from .parsed import Parsed

# RTN's names, as the list shows them
_HDR = {"DV": "DV", "HDR10+": "HDR10+", "HDR10": "HDR10", "HDR": "HDR", "HLG": "HLG", "SDR": None}
_CODECS = {"av1": "AV1", "hevc": "HEVC", "avc": "AVC", "xvid": "XviD", "mpeg": "MPEG", "vp9": "VP9"}
_AUDIO = {
    "Atmos": "Atmos", "TrueHD": "TrueHD", "DTS Lossless": "DTS-HD", "DTS Lossy": "DTS", "DTS": "DTS",
    "Dolby Digital Plus": "DD+", "Dolby Digital": "DD", "AAC": "AAC", "FLAC": "FLAC", "OPUS": "Opus",
    "MP3": "MP3", "PCM": "PCM", "LPCM": "PCM",
}  # fmt: skip
# 3D releases RTN does not flag: "3D", and the side-by-side / over-under layouts
_THREE_D = re.compile(r"(?<![A-Za-z0-9])(3D|H?SBS|Half[-. ]?(SBS|OU)|H?OU)(?![A-Za-z0-9])", re.IGNORECASE)
_HDR10_GIVEN = re.compile(r"(?<![A-Za-z0-9])HDR10(?![+A-Za-z0-9])", re.IGNORECASE)


def _hdr(raw: str, found: list[str]) -> tuple[str, ...]:
    named = [_HDR.get(h, h) for h in found]
    if "HDR" in named and _HDR10_GIVEN.search(raw):  # RTN says HDR for HDR10; the title says which
        named[named.index("HDR")] = "HDR10"
    return tuple(h for h in named if h)


@lru_cache(maxsize=50_000)
def parse_title(raw: str) -> Parsed:
    data = rtn_parse(raw)
    return Parsed(
        raw=raw,
        title=data.parsed_title or "",
        year=data.year,
        resolution=data.resolution or "unknown",
        quality=data.quality,
        seasons=tuple(data.seasons),
        episodes=tuple(data.episodes),
        languages=tuple(data.languages),
        hdr=_hdr(raw, list(data.hdr)),
        codec=_CODECS.get((data.codec or "").lower(), data.codec.upper() if data.codec else None),
        audio=tuple(dict.fromkeys(_AUDIO.get(a, a) for a in data.audio)),
        channels=data.channels[0] if data.channels else None,
        group=data.group or None,
        trash=bool(data.trash),
        three_d=bool(getattr(data, "_3d", False)) or bool(_THREE_D.search(raw)),
        hardcoded=bool(data.hardcoded),
    )


def parse_many(raws: list[str]) -> list[Parsed]:
    return [parse_title(raw) for raw in raws]


def same_titles(wanted: str, titles: list[str]) -> list[bool]:
    """Whether each parsed title is the one asked for (a title the parse could not find counts as the same:
    the episode or year then decides)."""
    return [not title or title_match(wanted, title) for title in titles]
