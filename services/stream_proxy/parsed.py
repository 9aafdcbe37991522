"""What a release title says, as the service reads it: made by the parsing workers (titles.py), read by the
ranking, the file choice and the matching here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Parsed:
    raw: str
    title: str
    year: int | None
    resolution: str
    quality: str | None
    seasons: tuple[int, ...]
    episodes: tuple[int, ...]
    languages: tuple[str, ...]
    # what the stream list shows and ranks by (normalised in titles.py)
    hdr: tuple[str, ...] = ()  # "DV", "HDR10+", "HDR10", "HDR"
    codec: str | None = None  # "AV1", "HEVC", "AVC", …
    audio: tuple[str, ...] = ()  # "Atmos", "TrueHD", "DTS-HD", "DTS", "DD+", "DD", "AAC", …
    channels: str | None = None  # "7.1", "5.1", …
    group: str | None = None
    trash: bool = False  # a CAM, telesync, screener…: RTN's verdict
    three_d: bool = False
    hardcoded: bool = False  # hardcoded subtitles
