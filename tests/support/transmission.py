"""A real `transmission-daemon` (Debian's) on free ports in a temporary folder, with RPC credentials."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from libs.embedded import free_port

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
    process = subprocess.Popen(
        [binary, "-f", "-g", str(work / "config"), "-p", str(port), "-w", str(downloads), "-a", "127.0.0.1",
         "-t", "-u", USERNAME, "-v", PASSWORD, "--no-portmap", "--no-dht", "--no-lpd", "-P", str(free_port())],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"transmission-daemon exited with {process.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/transmission/rpc", timeout=1).status_code in (401, 409):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("transmission-daemon did not start in 30 s")
            time.sleep(0.1)
        yield port, downloads
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
