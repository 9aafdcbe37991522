"""TorBox's answers that Chillproxy keeps or passes on (the cache check's torrents and their files)."""

from __future__ import annotations

import msgspec


class CachedFile(msgspec.Struct):
    name: str  # "<root>/<path>"
    size: int = 0


class CachedTorrent(msgspec.Struct):
    hash: str
    name: str = ""
    size: int = 0
    files: list[CachedFile] = []


class AccountFile(msgspec.Struct):
    """A file of a torrent in the account (`mylist`): its `id` is what `requestdl` takes."""

    id: int
    name: str
    size: int = 0
    short_name: str = ""


class AccountTorrent(msgspec.Struct):
    """A torrent in the account (`mylist?id=`); ready when `download_finished and download_present`."""

    id: int
    hash: str = ""
    name: str = ""
    size: int = 0
    download_state: str = ""
    download_finished: bool = False
    download_present: bool = False
    progress: float = 0.0
    download_speed: int = 0
    eta: int | None = None
    files: list[AccountFile] = []

    @property
    def ready(self) -> bool:
        return self.download_finished and self.download_present
