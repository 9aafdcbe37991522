"""One file from a CDN link into its `.part` file, in a worker thread with plain `http.client`: whatever the
socket has is written out at once, which keeps up with curl where an async client's per-chunk work did not
(bench/qbt_shim.py). The event loop only sees progress numbers.
"""

from __future__ import annotations

import http.client
import ssl
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin, urlsplit

BUFFER_BYTES = 1 << 20
MAX_REDIRECTS = 5


class TransferError(Exception):
    """This attempt failed; the file is tried again later from where it stopped."""


def _connect(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TransferError("the download link is not an http(s) URL")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        context = ssl.create_default_context()
        return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout, context=context), target
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout), target


def fetch_into(
    url: str,
    part: Path,
    have: int,
    size: int,
    on_progress: Callable[[int], None],
    stop: threading.Event,
    stall_seconds: float,
) -> int:
    """Append the rest of the file (from byte `have`) to `part`; the bytes on disk when done."""
    for _ in range(MAX_REDIRECTS + 1):
        connection, target = _connect(url, stall_seconds)
        try:
            connection.request("GET", target, headers={"Range": f"bytes={have}-"} if have else {})
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise TransferError(f"the CDN could not be reached ({type(error).__name__})") from None
        if response.status in (301, 302, 303, 307, 308) and response.getheader("location"):
            url = urljoin(url, response.getheader("location"))
            connection.close()
            continue
        break
    else:
        raise TransferError("too many redirects")
    try:
        if response.status == 200 and have:
            have = 0  # the CDN ignored the Range: start over rather than append a second copy
        elif response.status not in (200, 206):
            raise TransferError(f"the CDN answered {response.status}")
        if "text/html" in (response.getheader("content-type") or ""):
            raise TransferError("the CDN answered with a web page, not the file")
        with open(part, "r+b" if have else "wb", buffering=0) as handle:
            handle.seek(have)
            handle.truncate()
            for count, chunk in _body(response, stop):
                handle.write(chunk[:count])
                have += count
                on_progress(have)
                if have > size:
                    raise TransferError("more bytes than the file has")
    finally:
        connection.close()
    return have


def _body(response: http.client.HTTPResponse, stop: threading.Event):
    """(count, buffer) for each read of the body: whatever the socket has, so progress shows on a slow link.
    A body of known length is read into one reusable buffer (no copy per read: curl's pace on a fast one)."""
    length = response.getheader("content-length")
    known = length is not None and length.isdigit() and not response.chunked
    remaining = int(length) if known else 0
    buffer = memoryview(bytearray(BUFFER_BYTES))
    while True:
        if stop.is_set():
            raise TransferError("stopped")
        try:
            if known:
                if remaining <= 0:
                    return
                count = response.fp.readinto1(buffer[: min(BUFFER_BYTES, remaining)])
                remaining -= count
                chunk = buffer
            else:
                data = response.read1(BUFFER_BYTES)
                count, chunk = len(data), memoryview(data)
        except TimeoutError:
            raise TransferError("no data for too long") from None
        except (OSError, http.client.HTTPException) as error:
            raise TransferError(f"the connection broke ({type(error).__name__})") from None
        if not count:
            if known:
                raise TransferError("the connection closed before the end of the file")
            return
        yield count, chunk
