"""Run one service under uvicorn: `python -m services.<name>` calls `serve`."""

from __future__ import annotations

from collections.abc import Callable

import uvicorn
from starlette.applications import Starlette

from libs.config import Settings, load_settings
from libs.telemetry import configure_logging
from libs.topology import BY_NAME

# How long a service keeps an idle keep-alive connection: longer than Traefik keeps its side (60 s in
# traefik/traefik.yml), so it is always Traefik that closes one first, never the service under its feet.
KEEP_ALIVE_SECONDS = 75


def serve(service: str, build: Callable[[Settings], Starlette]) -> None:
    settings = load_settings()
    configure_logging(service, settings.log_level)
    port = settings.service_port or BY_NAME[service].port
    uvicorn.run(
        build(settings),
        host=settings.service_host,
        port=port,
        log_config=None,
        proxy_headers=False,  # the client address comes from X-Forwarded-For only behind a trusted proxy
        server_header=False,
        timeout_graceful_shutdown=10,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
