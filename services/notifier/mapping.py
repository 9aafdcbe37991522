"""Paths as the media server sees them: the first mapping whose `from` is a whole-component prefix of the
path rewrites it (`/downloads/tv` maps `/downloads/tv/x.mkv`, never `/downloads/tvshows/x.mkv`). Pure."""

from __future__ import annotations

from collections.abc import Sequence

from libs.schemas.notifier import PathMapping


def map_path(path: str, mappings: Sequence[PathMapping]) -> str:
    for mapping in mappings:
        prefix = mapping.from_.rstrip("/") or "/"
        if path == prefix or path.startswith(prefix if prefix.endswith("/") else prefix + "/"):
            rest = path[len(prefix) :].lstrip("/")
            target = mapping.to.rstrip("/")
            return f"{target}/{rest}" if rest else (target or "/")
    return path
