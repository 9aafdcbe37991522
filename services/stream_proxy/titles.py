"""Reading release titles with rank-torrent-name (over parsett): run in the parsing workers only. The service
process never imports RTN — about 12 MiB it would hold for nothing, in every replica (TitleParser calls these
functions in its workers by name)."""

from __future__ import annotations

from functools import lru_cache

from RTN import parse as rtn_parse
from RTN import title_match

from .parsed import Parsed


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
    )


def parse_many(raws: list[str]) -> list[Parsed]:
    return [parse_title(raw) for raw in raws]


def same_titles(wanted: str, titles: list[str]) -> list[bool]:
    """Whether each parsed title is the one asked for (a title the parse could not find counts as the same:
    the episode or year then decides)."""
    return [not title or title_match(wanted, title) for title in titles]
