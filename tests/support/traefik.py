"""The project's Traefik in front of services a test serves; any service not given answers as an echo."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path

from libs.embedded import EmbeddedTraefik, free_port
from libs.topology import SERVICES
from tests.support.echo import echo_server


async def behind_traefik(stack: AsyncExitStack, work: Path, backends: dict[str, str]) -> str:
    """Traefik's public URL; stopped when `stack` closes."""
    backends = dict(backends)
    for service in SERVICES:
        if service.name not in backends:
            backends[service.name] = await stack.enter_async_context(echo_server(service.name))
    proxy = EmbeddedTraefik(work / "traefik", backends=backends, port=free_port(), host="127.0.0.1")
    await asyncio.to_thread(proxy.start)
    stack.callback(proxy.stop)
    return proxy.url
