"""`make run`: NATS, PostgreSQL, the five services and Traefik on this machine, no Docker.

Starts what is not configured externally (`NATS_URL`, `DATABASE_URL`), waits for every /health with
progress on the terminal, prints the public URLs, restarts a service that crashes, and on Ctrl-C
(SIGINT or SIGTERM) stops every child in order: Traefik, the services, NATS, PostgreSQL.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from libs.config import environment, load_settings
from libs.topology import SERVICES, ServiceInfo

from .nats import EmbeddedNats
from .postgres import EmbeddedPostgres
from .process import ManagedProcess, die_with_parent, free_port, port_open
from .traefik import EmbeddedTraefik


def say(line: str) -> None:
    print(line, flush=True)


def replica_label(name: str, replica: int, of: int) -> str:
    """How the terminal, the log files and stack.json name one process: `notifier`, or `notifier#2`."""
    return name if of == 1 else f"{name}#{replica}"


@dataclass
class RunningService:
    info: ServiceInfo
    port: int
    process: ManagedProcess
    replica: int = 1
    of: int = 1  # replicas of the service
    restarts: int = 0
    next_restart: float = 0.0

    @property
    def label(self) -> str:
        return replica_label(self.info.name, self.replica, self.of)

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/health"

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.health_url, timeout=1.0) as response:
                return response.status == 200
        except OSError:
            return False


@dataclass
class Stack:
    data_dir: Path
    public_port: int
    env: dict[str, str]
    replicas: int = 1
    nats: EmbeddedNats | None = None
    postgres: EmbeddedPostgres | None = None
    traefik: EmbeddedTraefik | None = None
    services: list[RunningService] = field(default_factory=list)

    def start_infrastructure(self) -> None:
        if not self.env.get("NATS_URL"):
            say("• starting NATS (JetStream) …")
            self.nats = EmbeddedNats(self.data_dir / "nats").start()
            self.env["NATS_URL"] = self.nats.url
        if not self.env.get("DATABASE_URL"):
            say("• starting PostgreSQL …")
            self.postgres = EmbeddedPostgres(self.data_dir / "postgres").start()
            self.env["DATABASE_URL"] = self.postgres.dsn

    def start_services(self) -> None:
        """Each service `replicas` times, on ports of their own (the usual one, then +100, +200, … when free):
        they share the database, NATS (queue groups, shared durable consumers) and the work (leases)."""
        logs = self.data_dir / "logs"
        for info in SERVICES:
            for replica in range(1, self.replicas + 1):
                wanted = info.port + 100 * (replica - 1)
                port = wanted if not port_open("127.0.0.1", wanted) else free_port()
                env = {
                    **self.env,
                    "SERVICE_PORT": str(port),
                    "SERVICE_HOST": "127.0.0.1",
                    "OTEL_SERVICE_NAME": info.name,
                }
                label = replica_label(info.name, replica, self.replicas)
                command = [sys.executable, "-m", info.module]
                process = ManagedProcess(label, command, log_path=logs / f"{label}.log", env=env).start()
                self.services.append(RunningService(info, port, process, replica, self.replicas))
        say(f"• started {len(self.services)} service processes (logs in {logs})")

    def start_traefik(self) -> None:
        backends: dict[str, list[str]] = {}
        for s in self.services:
            backends.setdefault(s.info.name, []).append(f"http://127.0.0.1:{s.port}")
        self.traefik = EmbeddedTraefik(
            self.data_dir / "traefik",
            backends=backends,
            port=self.public_port,
            otel_endpoint=self.env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None,
        ).start()
        say(f"• Traefik listening on :{self.public_port}")

    def wait_healthy(self, stop: threading.Event, timeout: float = 120.0) -> bool:
        deadline = time.monotonic() + timeout
        waiting = {s.label for s in self.services}
        shown = ""
        while waiting and not stop.is_set():
            for service in self.services:
                if service.label in waiting and service.healthy():
                    waiting.discard(service.label)
                    say(f"  ✓ {service.label} healthy")
                if not service.process.running:
                    say(f"  ✗ {service.label} exited; last lines of its log:\n{service.process.tail(15)}")
                    return False
            line = "  waiting for: " + ", ".join(sorted(waiting))
            if waiting and line != shown:
                say(line)
                shown = line
            if time.monotonic() > deadline:
                say(f"  ✗ still not healthy after {timeout:.0f}s: {', '.join(sorted(waiting))}")
                return False
            stop.wait(0.3)
        return not waiting

    def supervise(self, stop: threading.Event) -> None:
        """Restart a crashed service, backing off, until asked to stop."""
        while not stop.wait(1.0):
            now = time.monotonic()
            for service in self.services:
                if service.process.running or now < service.next_restart:
                    continue
                service.restarts += 1
                delay = min(2 ** min(service.restarts, 5), 30)
                say(f"! {service.label} exited ({service.process.exit_code()}); restarting (#{service.restarts})")
                service.process.start()
                service.next_restart = now + delay

    def write_state(self, public_url: str) -> Path:
        """`stack.json`: where everything listens, for tools and tests (owner-only: it holds the DSN)."""
        state = {
            "publicUrl": public_url,
            "databaseUrl": self.env["DATABASE_URL"],
            "natsUrl": self.env["NATS_URL"],
            "services": {s.info.name: s.port for s in self.services if s.replica == 1},
            "replicas": {s.label: s.port for s in self.services},
        }
        path = self.data_dir / "stack.json"
        path.touch(mode=0o600)
        path.write_text(json.dumps(state, indent=2))
        return path

    def stop(self) -> None:
        (self.data_dir / "stack.json").unlink(missing_ok=True)
        if self.traefik:
            self.traefik.stop()
        for service in self.services:
            if service.process.running and service.process.process is not None:
                service.process.process.send_signal(signal.SIGTERM)
        for service in self.services:
            service.process.stop()
        if self.nats:
            self.nats.stop()
        if self.postgres:
            self.postgres.stop()


def public_urls(base: str, data_dir: Path) -> str:
    host = base.split("://", 1)[-1]
    return "\n".join(
        [
            "",
            "Chillproxy is up.",
            f"  Stremio add-on     {base}/stremio/torz/configure  (manifest: {base}/stremio/torz/manifest.json)",
            f"  Sonarr / Radarr    qBittorrent client at host {host.rsplit(':', 1)[0]}, port {host.rsplit(':', 1)[-1]}",
            f"  Homepage widget    {base}/widget",
            f"  Integrations       {base}/settings/integrations/",
            f"  Indexer stats      {base}/indexers/",
            f"  Secrets            {data_dir / 'secrets.json'} (admin token, qBittorrent password)",
            "Press Ctrl-C to stop.",
        ]
    )


def main(env: dict[str, str] | None = None, after_start: Callable[[str], str | None] | None = None) -> int:
    """Run the stack until Ctrl-C. `after_start(public_url)` runs once everything answers (`make demo` seeds
    its data there) and may return more to print."""
    env = environment() if env is None else env
    settings = load_settings(env)
    data_dir = settings.data_dir
    (data_dir / "logs").mkdir(parents=True, exist_ok=True)
    settings.download_root.mkdir(parents=True, exist_ok=True)
    if port_open("127.0.0.1", settings.port):
        say(f"port {settings.port} is in use: set CHILLPROXY_PORT to a free port")
        return 1
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    die_with_parent()  # `make` killed without a Ctrl-C still stops us, and so everything we started

    stack = Stack(data_dir=data_dir, public_port=settings.port, env=env, replicas=settings.replicas)
    try:
        stack.start_infrastructure()
        stack.start_services()
        if not stack.wait_healthy(stop):
            return 0 if stop.is_set() else 1
        stack.start_traefik()
        base = (env.get("CHILLPROXY_PUBLIC_URL") or f"http://localhost:{settings.port}").rstrip("/")
        stack.write_state(base)
        say(public_urls(base, data_dir))
        if after_start is not None:
            extra = after_start(base)
            if extra:
                say(extra)
        stack.supervise(stop)
        return 0
    finally:
        say("stopping …")
        stack.stop()
        say("stopped.")


if __name__ == "__main__":
    raise SystemExit(main())
