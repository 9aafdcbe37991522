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
