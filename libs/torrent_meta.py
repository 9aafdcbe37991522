"""Info hashes: from a magnet link (hex or base32 btih) or from a .torrent file (SHA-1 of its info dict)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import posixpath
from urllib.parse import parse_qs, unquote, urljoin, urlparse

import fastbencode
import httpx


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


def torrent_name(torrent: bytes) -> str | None:
    """The name in a .torrent's info dictionary (what qBittorrent calls the torrent)."""
    try:
        info = fastbencode.bdecode(torrent).get(b"info", {})
        name = info.get(b"name.utf-8") or info.get(b"name")
        return name.decode("utf-8", "replace") if isinstance(name, bytes) and name else None
    except Exception:  # a bad file has no name; `info_hash` says what is wrong with it
        return None


def magnet_name(magnet: str) -> str | None:
    names = parse_qs(urlparse(magnet).query).get("dn", [])
    return names[0] if names and names[0] else None


MAX_TORRENT_BYTES = 10 * 1024 * 1024


async def fetch_torrent(
    http: httpx.AsyncClient, url: str, timeout: float = 5.0, *, hops: int = 1
) -> str | bytes | None:
    """What a download link gives: the magnet a redirect points to (read from Location, never followed), or
    the file's bytes (a .torrent, an NZB); None for anything else (an error page, too big, unreachable).

    A redirect to an http(s) URL is followed `hops` times at most: Prowlarr answers its own download link for
    a usenet indexer, or a torrent indexer in "Redirect" mode, with a 301 to the indexer's URL (Prowlarr
    `src/Prowlarr.Api.V1/Indexers/NewznabController.cs`)."""
    try:
        async with http.stream("GET", url, timeout=timeout, follow_redirects=False) as response:
            if response.status_code in (301, 302, 303, 307, 308):
                location = urljoin(url, response.headers.get("location", ""))
                if location.startswith("magnet:"):
                    return location
                if hops > 0 and location.startswith(("http://", "https://")):
                    return await fetch_torrent(http, location, timeout, hops=hops - 1)
                return None
            if response.status_code != 200:
                return None
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_TORRENT_BYTES:
                    return None
    except httpx.HTTPError:
        return None
    return bytes(body)


def under(url: str, base: str) -> bool:
    """Whether `url` is one of `base`'s own (same scheme, host and port, a path inside base's), compared after
    normalising the path: `…/prowlarr/../other` is not Prowlarr's."""
    wanted, root = urlparse(url), urlparse(base.rstrip("/") + "/")
    if wanted.scheme not in ("http", "https"):
        return False
    if (wanted.scheme, wanted.netloc.lower()) != (root.scheme, root.netloc.lower()):
        return False
    path = posixpath.normpath(unquote(wanted.path) or "/")
    prefix = posixpath.normpath(root.path)
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")
