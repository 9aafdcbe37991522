"""pool_job_runs: a periodic job runs once per period, whichever process claims the period first."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec


async def claim(
    conn: asyncpg.Connection | asyncpg.Pool, job: str, period_seconds: float, runner: str
) -> datetime | None:
    """The period this process now owns, or None when another process claimed it."""
    return await conn.fetchval(
        """
        INSERT INTO pool_job_runs (job, period, runner)
        VALUES ($1, to_timestamp(floor(extract(epoch FROM now()) / $2) * $2), $3)
        ON CONFLICT (job, period) DO NOTHING RETURNING period
        """,
        job,
        period_seconds,
        runner,
    )


async def finish(conn: asyncpg.Connection | asyncpg.Pool, job: str, period: datetime, result: dict) -> None:
    await conn.execute(
        "UPDATE pool_job_runs SET result = $3 WHERE job = $1 AND period = $2",
        job,
        period,
        msgspec.to_builtins(result),
    )
