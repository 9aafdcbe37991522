"""Which file inside a torrent is the film or the episode asked for.

The anchors' most reported failure is the wrong episode played from a season pack, so the rule is strict:
an episode needs a file whose own name says that season (or sits in a pack of that one season) and that
episode, a single-episode file before a multi-episode one; a film is the largest video. Samples, trailers
and extras are never chosen, nor anything that is not a video. No match: no stream, rather than a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .media_id import MediaId
from .parsing import Parsed

VIDEO_EXTENSIONS = frozenset(
    {".mkv", ".mp4", ".m4v", ".avi", ".mov", ".ts", ".m2ts", ".webm", ".wmv", ".mpg", ".mpeg", ".flv"}
)
_NOT_CONTENT_DIRS = frozenset(
    {
        "sample",
        "samples",
        "extra",
        "extras",
        "featurette",
        "featurettes",
        "trailer",
        "trailers",
        "bonus",
        "behind the scenes",
        "deleted scenes",
        "interviews",
    }
)
_NOT_CONTENT_NAME = re.compile(r"(?i)(?:^|[\W_])(sample|trailer|featurette|ncop|nced)(?:[\W_]|$)")


@dataclass(frozen=True)
class TorrentFile:
    index: int  # the position (or TorBox's file id) that names it in a play request
    path: str  # inside the torrent, without its root folder
    size: int

    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2]


def is_content_video(path: str) -> bool:
    """A video that is the work itself: not a sample, trailer or extra, not in such a folder."""
    *folders, name = path.split("/")
    stem, dot, extension = name.rpartition(".")
    if not dot or f".{extension.lower()}" not in VIDEO_EXTENSIONS:
        return False
    if any(folder.lower() in _NOT_CONTENT_DIRS for folder in folders):
        return False
    return not _NOT_CONTENT_NAME.search(stem)


def pick_file(
    files: list[TorrentFile], parsed: list[Parsed], media: MediaId, pack_seasons: tuple[int, ...] = ()
) -> TorrentFile | None:
    """The file to play; `parsed[i]` is the parse of `files[i].name`, `pack_seasons` the torrent's own.

    A file whose name gives an episode but no season takes the pack's season only when the pack is of
    exactly one season (`Show.S01/E02.mkv`); in a multi-season pack such a name says too little.
    """
    best: tuple[tuple[int, int], TorrentFile] | None = None
    for file, names in zip(files, parsed, strict=True):
        if not is_content_video(file.path):
            continue
        if media.is_episode:
            seasons = names.seasons or (pack_seasons if len(pack_seasons) == 1 else ())
            if media.season not in seasons or media.episode not in names.episodes:
                continue
            score = (1 if len(names.episodes) == 1 else 0, file.size)
        else:
            if names.episodes:  # an episode file is not the film
                continue
            score = (0, file.size)
        if best is None or score > best[0]:
            best = (score, file)
    return best[1] if best else None
