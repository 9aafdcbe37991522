"""A real `nzbget` (Debian's) in server mode on a free port, every folder in a temporary one."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from libs.embedded import free_port
from tests.support.daemon import running

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
    url = f"http://127.0.0.1:{port}/jsonrpc"
    with running(
        "nzbget", argv, lambda: httpx.post(url, json={"method": "version", "params": []}, timeout=1) is not None
    ):
        yield port
