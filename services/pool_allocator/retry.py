"""Transactions that a deadlock or serialization failure may abort are simply run again."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg

T = TypeVar("T")

_RETRIED = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)


async def retrying_transaction(
    db: asyncpg.Pool, work: Callable[[asyncpg.Connection], Awaitable[T]], attempts: int = 5, *, transaction: bool = True
) -> T:
    """Run `work` in a transaction (or, with `transaction=False`, as the single statement it is)."""
    for attempt in range(attempts):
        try:
            async with db.acquire() as conn:
                if not transaction:
                    return await work(conn)
                async with conn.transaction():
                    return await work(conn)
        except _RETRIED:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(random.uniform(0.001, 0.01) * (attempt + 1))
    raise AssertionError("unreachable")
