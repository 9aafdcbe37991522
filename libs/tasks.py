"""Background work of a service: periodic jobs that survive their own failures, started and stopped together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import httpx
import nats.errors

from libs.bus.errors import BusError, BusUnavailable
from libs.db import DATABASE_AWAY
from libs.leases import Leases, lease_seconds
from libs.telemetry import get_logger

log = get_logger("libs.tasks")
# failures of something outside the process (the database, NATS, an upstream) that the next round retries:
# their name says enough; anything else is a bug, and its traceback is what finds it
OUTAGES = (*DATABASE_AWAY, nats.errors.Error, BusError, BusUnavailable, httpx.HTTPError)


def log_failure(logger, message: str, error: BaseException, **fields: object) -> None:
    """One warning for a round of background work that failed: with the traceback unless it is an outage
    (or an error of a known kind the caller names in `expected`)."""
    expected = fields.pop("expected", ())
    known = isinstance(error, OUTAGES) or (expected and isinstance(error, expected))  # type: ignore[arg-type]
    logger.warning(message, error=type(error).__name__, exc_info=None if known else error, **fields)


async def nap(seconds: float, wake: asyncio.Event | None = None) -> None:
    """Sleep `seconds`, or less when `wake` is set meanwhile (the caller clears it before its next round)."""
    if wake is None:
        await asyncio.sleep(seconds)
        return
    # `asyncio.timeout`, not `wait_for`: on Python 3.11 `wait_for` can swallow a cancellation that arrives as
    # the event is set, and the loop then never ends (a service's shutdown hung on it)
    try:
        async with asyncio.timeout(seconds):
            await wake.wait()
    except TimeoutError:
        pass


async def every(
    seconds: float,
    job: Callable[[], Awaitable[object]],
    *,
    what: str,
    first_now: bool = False,
    wake: asyncio.Event | None = None,
    lease: Leases | None = None,
) -> None:
    """Run `job` every `seconds` (sooner when `wake` is set) until cancelled. A failure is logged and the
    next run comes as planned: a database or an upstream that is down for a while must not end the job.

    With `lease`, the job runs once across the service's replicas: only the holder of its lease (named by
    `what`) runs it; the others ask again each round and take over when the holder stops renewing."""
    if not first_now:
        await nap(seconds, wake)
    while True:
        if wake is not None:
            wake.clear()
        try:
            if lease is None or await lease.hold(what, lease_seconds(seconds)):
                await job()
        except Exception as error:
            log_failure(log, f"{what} failed; will retry", error)
        await nap(seconds, wake)


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
