"""A real `transmission-daemon` (Debian's) on free ports in a temporary folder, with RPC credentials."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from libs.embedded import free_port
from tests.support.daemon import running

USERNAME, PASSWORD = "transmission", "transmission-pass"


@contextmanager
def transmission_daemon(work: Path) -> Iterator[tuple[int, Path]]:
    """(RPC port, download folder)."""
    binary = shutil.which("transmission-daemon")
    if binary is None:
        raise RuntimeError("transmission-daemon is missing: `make test` installs it (tests/system-deps.sh)")
    port, downloads = free_port(), work / "downloads"
    (work / "config").mkdir(parents=True, exist_ok=True)
    downloads.mkdir(parents=True, exist_ok=True)
    argv = [binary, "-f", "-g", str(work / "config"), "-p", str(port), "-w", str(downloads), "-a", "127.0.0.1"]
    argv += ["-t", "-u", USERNAME, "-v", PASSWORD, "--no-portmap", "--no-dht", "--no-lpd", "-P", str(free_port())]
    rpc = f"http://127.0.0.1:{port}/transmission/rpc"
    with running("transmission-daemon", argv, lambda: httpx.get(rpc, timeout=1).status_code in (401, 409)):
        yield port, downloads
