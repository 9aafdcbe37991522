"""One small catalogue for the fakes, shared by tests, benchmarks and `make demo`: The Matrix (tt0133093) and
Game of Thrones (tt0944947) season 1 — a cached season pack, a single episode, an episode of the wrong
number, a release of another film under the same id, and copies on indexers that are slow, failing, or
give only a .torrent file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import fastbencode

from .prowlarr import FakeProwlarr
from .prowlarr import Release as ProwlarrRelease
from .torbox import FakeTorBox

GB = 1_000_000_000
MATRIX = "tt0133093"
THRONES = "tt0944947"


def hash_of(title: str) -> str:
    return hashlib.sha1(title.encode()).hexdigest()


def torrent_file(name: str, size: int) -> tuple[bytes, str]:
    """A valid .torrent for a single file (one 20-byte hash per piece, as clients check), and its info hash."""
    piece = 1 << 22
    pieces = b"\x00" * (20 * max(1, -(-size // piece)))
    info = {b"name": name.encode(), b"length": size, b"piece length": piece, b"pieces": pieces}
    encoded = fastbencode.bencode({b"announce": b"udp://tracker.invalid:80", b"info": info})
    return encoded, hashlib.sha1(fastbencode.bencode(info)).hexdigest()


@dataclass(frozen=True)
class Entry:
    title: str
    size: int
    seeders: int
    imdb: str
    cached: bool
    files: tuple[tuple[str, int], ...]
    season: int | None = None
    episode: int | None = None
    indexer: str = "Fast"
    torrent_only: bool = False


def _pack(show: str, season: int, episodes: int, size: int) -> tuple[tuple[str, int], ...]:
    files = [(f"{show}.S{season:02d}E{n:02d}.1080p.BluRay.x264-GRP.mkv", size + n) for n in range(1, episodes + 1)]
    return (
        *files,
        (f"Sample/{show.lower()}.s{season:02d}e01.sample.mkv", 40_000_000),
        (f"{show}.S{season:02d}.nfo", 4_000),
    )


ENTRIES: tuple[Entry, ...] = (
    Entry(
        "The.Matrix.1999.2160p.UHD.BluRay.REMUX.HDR.HEVC-GRP",
        60 * GB,
        40,
        MATRIX,
        True,
        (("The.Matrix.1999.2160p.UHD.BluRay.REMUX.HDR.HEVC-GRP.mkv", 60 * GB),),
    ),
    Entry(
        "The.Matrix.1999.1080p.BluRay.x264-GRP",
        10 * GB,
        300,
        MATRIX,
        True,
        (("The.Matrix.1999.1080p.BluRay.x264-GRP.mkv", 10 * GB), ("Sample/sample.mkv", 30_000_000)),
    ),
    Entry(
        "The.Matrix.1999.720p.WEB-DL.x264-GRP",
        4 * GB,
        80,
        MATRIX,
        False,
        (("The.Matrix.1999.720p.WEB-DL.x264-GRP.mkv", 4 * GB),),
        indexer="TorrentFiles",
        torrent_only=True,
    ),
    Entry(  # another film filed under the same id by the indexer: dropped by title
        "The.Matrix.Reloaded.2003.1080p.BluRay.x264-GRP",
        11 * GB,
        500,
        MATRIX,
        True,
        (("The.Matrix.Reloaded.2003.1080p.BluRay.x264-GRP.mkv", 11 * GB),),
    ),
    Entry(  # only on the indexer slower than its timeout: never listed
        "The.Matrix.1999.1080p.WEB-DL.DDP5.1-SLOW",
        6 * GB,
        1000,
        MATRIX,
        True,
        (("The.Matrix.1999.1080p.WEB-DL.DDP5.1-SLOW.mkv", 6 * GB),),
        indexer="Slow",
    ),
    Entry(
        "Game.of.Thrones.S01.1080p.BluRay.x264-GRP",
        45 * GB,
        120,
        THRONES,
        True,
        _pack("Game.of.Thrones", 1, 10, 4 * GB),
        season=1,
    ),
    Entry(
        "Game.of.Thrones.S01E02.720p.HDTV.x264-GRP",
        1 * GB,
        60,
        THRONES,
        True,
        (("Game.of.Thrones.S01E02.720p.HDTV.x264-GRP.mkv", 1 * GB),),
        season=1,
        episode=2,
    ),
    Entry(  # the indexer files it under any episode of season 1; its title says E03
        "Game.of.Thrones.S01E03.1080p.WEB.h264-GRP",
        2 * GB,
        200,
        THRONES,
        True,
        (("Game.of.Thrones.S01E03.1080p.WEB.h264-GRP.mkv", 2 * GB),),
        season=1,
    ),
    Entry(
        "Game.of.Thrones.S01E02.2160p.WEB.h265-GRP",
        8 * GB,
        30,
        THRONES,
        False,
        (("Game.of.Thrones.S01E02.2160p.WEB.h265-GRP.mkv", 8 * GB),),
        season=1,
        episode=2,
    ),
)

TITLES = {MATRIX: ("movie", "The Matrix", "1999"), THRONES: ("series", "Game of Thrones", "2011–2019")}


def info_hash_of(entry: Entry) -> str:
    return torrent_file(entry.title, entry.size)[1] if entry.torrent_only else hash_of(entry.title)


def stock(prowlarr: FakeProwlarr | None = None, torbox: FakeTorBox | None = None, *, slow_seconds: float = 3.0):
    """Fill the fakes with the catalogue: indexers Fast, Slow (answers after `slow_seconds`), Broken (fails)
    and TorrentFiles (no hash, no magnet: only the .torrent)."""
    if prowlarr is not None:
        indexers = {
            "Fast": prowlarr.add_indexer(1, "Fast", priority=10),
            "Slow": prowlarr.add_indexer(2, "Slow", priority=20, latency=slow_seconds),
            "Broken": prowlarr.add_indexer(3, "Broken", priority=30, fail_with=500),
            "TorrentFiles": prowlarr.add_indexer(4, "TorrentFiles", priority=40),
        }
        for entry in ENTRIES:
            number = int(entry.imdb.removeprefix("tt"))
            release = ProwlarrRelease(
                entry.title,
                info_hash_of(entry),
                entry.size,
                entry.seeders,
                imdb_id=number,
                season=entry.season,
                episode=entry.episode,
            )
            if entry.torrent_only:
                release.torrent, release.with_info_hash = torrent_file(entry.title, entry.size)[0], False
            indexers[entry.indexer].releases.append(release)
            if entry.indexer == "Fast":
                indexers["Broken"].releases.append(release)
    if torbox is not None:
        for entry in ENTRIES:
            torbox.add_torrent(info_hash_of(entry), entry.title, list(entry.files), cached=entry.cached)
