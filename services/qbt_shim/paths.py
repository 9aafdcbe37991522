"""Every path the shim writes, reads or deletes lives under DOWNLOAD_ROOT: a save path from a client is
taken relative to it (or as an absolute path inside it) and refused when it would leave it — by `..`, by an
absolute path elsewhere, or by a symlink pointing out."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath


class PathRefused(ValueError):
    """`str()` says why, for the client."""


def confine(root: Path, wanted: str) -> Path:
    """The absolute, symlink-resolved path for `wanted` under `root`; `PathRefused` if it is not inside."""
    root = root.resolve()
    if "\x00" in wanted:
        raise PathRefused("the path holds a NUL character")
    candidate = Path(wanted) if os.path.isabs(wanted) else root / wanted
    resolved = candidate.resolve()  # follows symlinks that exist: one pointing out is caught here
    if resolved != root and root not in resolved.parents:
        raise PathRefused(f"the path must be inside the download folder {root}")
    return resolved


def safe_name(name: str) -> str:
    """A torrent or file name usable as one path segment (TorBox and .torrent names come from strangers)."""
    cleaned = name.replace("/", "_").replace("\\", "_").replace("\x00", "").strip()
    return "_" if cleaned in ("", ".", "..") else cleaned[:255]


def safe_relative(path: str) -> PurePosixPath:
    """A file's path inside its torrent folder, each segment made safe, never climbing out."""
    parts = [safe_name(part) for part in PurePosixPath(path).parts if part not in ("/", "")]
    return PurePosixPath(*parts) if parts else PurePosixPath("_")


MAX_NAME_BYTES = 255  # one path segment on ext4, XFS, btrfs, ZFS
MAX_PATH_BYTES = 4000  # PATH_MAX is 4096, and the download root comes before it


def unsavable(path: str) -> str | None:
    """Why a file TorBox lists inside a torrent can never be written under its folder, or None. Such a name
    is refused, not renamed: Sonarr would import a file that is not what the release said."""
    parts = path.split("/")
    if any(part in ("..", ".") for part in parts) or path.startswith("/"):
        return f"the file {path[:80]!r} would leave the torrent's folder"
    if any(len(part.encode()) > MAX_NAME_BYTES for part in parts) or len(path.encode()) > MAX_PATH_BYTES:
        return f"the file {path[:80]!r}… has a name longer than the file system allows"
    return None


def writable(root: Path) -> tuple[bool, str]:
    """Whether this process can create files in the download root — `/health` says so, by uid, rather than
    every download failing in silence (a folder Docker created for a bind mount belongs to root)."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".chillproxy-write-check-"):
            pass
    except OSError as error:
        who = f"uid {os.getuid()}, gid {os.getgid()}"
        return False, f"{root} is not writable by {who} ({error.strerror}): give it to PUID/PGID"
    return True, str(root)
