"""A real `nzbget` (Debian's) in server mode on a free port, every folder in a temporary one."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from libs.embedded import free_port

USERNAME, PASSWORD = "nzbget", "nzbget-pass"
TEMPLATE = Path("/usr/share/nzbget/webui/nzbget.conf")


@contextmanager
def nzbget_server(work: Path) -> Iterator[int]:
    binary = shutil.which("nzbget")
    if binary is None or not TEMPLATE.exists():
        raise RuntimeError("nzbget is missing: `make test` installs it (tests/system-deps.sh)")
    port = free_port()
    work.mkdir(parents=True, exist_ok=True)
    config = work / "nzbget.conf"
    shutil.copy(TEMPLATE, config)
    options = {
        "MainDir": work, "DestDir": work / "dst", "InterDir": work / "inter", "NzbDir": work / "nzb",
        "QueueDir": work / "queue", "TempDir": work / "tmp", "ScriptDir": work / "scripts", "LockFile": work / "lock",
        "LogFile": work / "nzbget.log", "WebDir": TEMPLATE.parent, "ConfigTemplate": TEMPLATE,
        "ControlIP": "127.0.0.1", "ControlPort": port, "ControlUsername": USERNAME, "ControlPassword": PASSWORD,
        "OutputMode": "log",
    }  # fmt: skip
    argv = [binary, "-s", "-c", str(config)]
    for name, value in options.items():
        argv += ["-o", f"{name}={value}"]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"nzbget exited with {process.returncode}")
            try:
                httpx.post(f"http://127.0.0.1:{port}/jsonrpc", json={"method": "version", "params": []}, timeout=1)
                break  # any answer: it listens
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("nzbget did not start in 30 s")
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
