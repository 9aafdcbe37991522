"""Run an ASGI app under a real uvicorn server inside the test's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn

from libs.embedded import free_port
from libs.serve import KEEP_ALIVE_SECONDS


@asynccontextmanager
async def serving(
    app, *, port: int | None = None, host: str = "127.0.0.1", public_host: str | None = None
) -> AsyncIterator[str]:
    """Start `app` (lifespan included) on a free port; yields its base URL (named `public_host` when others
    reach it by another name, as containers do); stops it afterwards."""
    port = port or free_port()
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, lifespan="on", timeout_keep_alive=KEEP_ALIVE_SECONDS
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # the test process keeps its own signal handling
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()  # start-up failed: raise why
                raise RuntimeError("server stopped before it started")
            await asyncio.sleep(0.02)
        yield f"http://{public_host or host}:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


async def eventually(check, *, timeout: float = 20.0, interval: float = 0.1):
    """Poll `check` (sync or async) until it returns a truthy value; that value, or AssertionError."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


@asynccontextmanager
async def serving_fake(fake, **where):
    """Serve one of tests/fakes (an object with `app` and `base_url`); its `base_url` points at it."""
    async with serving(fake.app, **where) as base:
        fake.base_url = base
        yield fake
