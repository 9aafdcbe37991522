"""Info hashes: from a magnet link (hex or base32 btih) or from a .torrent file (SHA-1 of its info dict)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from urllib.parse import parse_qs, urlparse

import fastbencode


def btih_from_magnet(magnet: str) -> str | None:
    """The lowercase hex info hash of a magnet link, or None when it carries no valid btih."""
    if not magnet.startswith("magnet:?"):
        return None
    for xt in parse_qs(urlparse(magnet).query).get("xt", []):
        if not xt.lower().startswith("urn:btih:"):
            continue
        value = xt[9:]
        try:
            if len(value) == 40:
                return bytes.fromhex(value).hex()
            if len(value) == 32:
                return base64.b32decode(value.upper()).hex()
        except (ValueError, binascii.Error):
            return None
    return None


def info_hash(torrent: bytes) -> str:
    """SHA-1 of the bencoded info dictionary; ValueError when `torrent` is not a .torrent file."""
    try:
        decoded = fastbencode.bdecode(torrent)
    except Exception as error:  # the decoder raises ValueError or its own types on bad input
        raise ValueError(f"not a bencoded torrent: {error}") from None
    if not isinstance(decoded, dict) or not isinstance(decoded.get(b"info"), dict):
        raise ValueError("the torrent has no info dictionary")
    return hashlib.sha1(fastbencode.bencode(decoded[b"info"])).hexdigest()
