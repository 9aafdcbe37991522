"""What every benchmark needs: the machine's speed now, a service's peak memory, its health."""

from __future__ import annotations

import os
import platform
import time
import urllib.request
from pathlib import Path


def calibration_seconds() -> float:
    """A fixed pure-Python loop: how fast this machine is right now (shared machines vary a lot)."""
    started = time.perf_counter()
    total = 0
    for n in range(5_000_000):
        total += n
    return time.perf_counter() - started


def machine() -> str:
    return (
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, calibration loop {calibration_seconds():.2f} s"
    )


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pss_mib(pid: int) -> float:
    """The proportional set size of a process and all its children (stream-proxy's parsing workers share
    pages with it: their RSS added up counts those twice, their PSS does not)."""
    import psutil

    root = psutil.Process(pid)
    processes = [root, *root.children(recursive=True)]
    return sum(p.memory_full_info().pss for p in processes) / (1 << 20)


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def service_env(work: Path, database_url: str, nats_url: str, port: int, **extra: str) -> dict[str, str]:
    """The environment of a service process under benchmark: its own data folder, quiet logs."""
    return {
        **os.environ,
        "CHILLPROXY_DATA": str(work / "var"),
        "CHILLPROXY_ENV_FILE": str(work / "none"),
        "DATABASE_URL": database_url,
        "NATS_URL": nats_url,
        "SERVICE_PORT": str(port),
        "LOG_LEVEL": "warning",
        **extra,
    }
