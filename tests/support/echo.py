"""A tiny HTTP server that answers every request with its own name and the path it received."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


@asynccontextmanager
async def echo_server(name: str, health: list[int] | None = None) -> AsyncIterator[str]:
    """`health`: what `/health` answers (its first item, changeable while serving); 200 when not given."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            method, path, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
            body = json.dumps({"service": name, "method": method, "path": path}).encode()
            status = health[0] if health and path == "/health" else 200
            writer.write(
                f"HTTP/1.1 {status} Status\r\n".encode()
                + b"content-type: application/json\r\nconnection: close\r\n"
                + f"content-length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}"
