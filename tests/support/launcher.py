"""`make run`'s launcher (`python -m libs.embedded.stack`) as a child of a test: started with the test's
environment, read line by line, stopped with a signal."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]


class Launcher:
    """`module`: the stack (`make run`), or `tests.demo` (`make demo`, which keeps its data in
    CHILLPROXY_DEMO_DATA)."""

    def __init__(self, data: Path, port: int, module: str = "libs.embedded.stack", **extra: str) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NATS_URL")}
        env.update(CHILLPROXY_DATA=str(data), CHILLPROXY_PORT=str(port), CHILLPROXY_ENV_FILE=str(data / "none"))
        env.update(extra)
        self.output: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", module],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line and self.process.poll() is not None:
                break
            self.output.append(line)
            if text in line:
                return
        raise AssertionError(f"{text!r} not printed; output:\n{''.join(self.output)}")

    def stop(self, signum: int) -> list[psutil.Process]:
        if self.process.poll() is not None:  # it ended by itself (its output says why)
            return []
        children = psutil.Process(self.process.pid).children(recursive=True)
        self.process.send_signal(signum)
        assert self.process.wait(60) == 0
        self.output.extend(self.process.stdout.readlines())
        return children


def all_gone(processes: list[psutil.Process]) -> bool:
    def alive(p: psutil.Process) -> bool:
        try:
            return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    return not any(alive(p) for p in processes)
