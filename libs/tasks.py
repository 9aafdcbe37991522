"""Background work of a service: periodic jobs that survive their own failures, started and stopped together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from libs.telemetry import get_logger

log = get_logger("libs.tasks")


async def every(seconds: float, job: Callable[[], Awaitable[object]], *, what: str, first_now: bool = False) -> None:
    """Run `job` every `seconds` until cancelled. A failure is logged and the next run comes as planned:
    a database or an upstream that is down for a while must not end the job."""
    if not first_now:
        await asyncio.sleep(seconds)
    while True:
        try:
            await job()
        except Exception as error:
            log.warning(f"{what} failed; will retry", error=type(error).__name__)
        await asyncio.sleep(seconds)


@asynccontextmanager
async def background(*jobs: Coroutine[Any, Any, object]) -> AsyncIterator[None]:
    """Run `jobs` as tasks while the block runs; cancel and await them all when it ends."""
    tasks = [asyncio.create_task(job) for job in jobs]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
