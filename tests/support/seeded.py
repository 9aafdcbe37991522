"""A torrent whose data is already on disk: a real client checks it and finds it complete, no peer needed."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import fastbencode

PIECE = 1 << 16


def seeded_torrent(
    folder: Path, name: str, size: int = 300_000, announce: str = "udp://tracker.invalid:80"
) -> tuple[bytes, str, Path]:
    """(the .torrent, its info hash, the file) for a single file `folder/name` of random bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    data = os.urandom(size)
    path = folder / name
    path.write_bytes(data)
    pieces = b"".join(hashlib.sha1(data[i : i + PIECE]).digest() for i in range(0, size, PIECE))
    info = {b"name": name.encode(), b"length": size, b"piece length": PIECE, b"pieces": pieces}
    torrent = fastbencode.bencode({b"announce": announce.encode(), b"info": info})
    return torrent, hashlib.sha1(fastbencode.bencode(info)).hexdigest(), path
