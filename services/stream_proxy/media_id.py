"""Stremio's video ids: `tt0133093` for a film, `tt0944947:1:2` for an episode."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

_ID = re.compile(r"^(tt[0-9]{1,10})(?::([0-9]{1,4}):([0-9]{1,5}))?$")  # ASCII: `\d` takes `٣` too


@dataclass(frozen=True)
class MediaId:
    imdb_id: str
    season: int | None = None
    episode: int | None = None

    @property
    def is_episode(self) -> bool:
        return self.season is not None


def parse_media_id(kind: Literal["movie", "series"] | str, raw: str) -> MediaId | None:
    """None when the id is not one this add-on serves (or does not fit its type)."""
    match = _ID.match(raw)
    if match is None:
        return None
    imdb_id, season, episode = match.groups()
    if kind == "movie":
        return MediaId(imdb_id) if season is None else None
    if kind == "series":
        return MediaId(imdb_id, int(season), int(episode)) if season is not None else None
    return None
