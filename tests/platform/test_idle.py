"""An idle stack is idle: with nothing to do, the services leave PostgreSQL alone (a home server's disk and
CPU rest at night) — work wakes them, not a clock ticking every second."""

import asyncio
from contextlib import AsyncExitStack

import asyncpg

from tests.e2e.test_security_sweep import every_app, sweep_settings
from tests.support.asgi import serving


async def statements_seen(dsn: str, seconds: float, every: float = 0.05) -> list[str]:
    """The statements the services' connections started meanwhile (each connection's `query_start` moving),
    sampled from pg_stat_activity — not counting our own look, nor PostgreSQL's autovacuum."""
    db = await asyncpg.connect(dsn)
    try:
        last: dict[int, object] = {}
        started: list[str] = []
        query = """SELECT pid, query_start, left(query, 80) AS query FROM pg_stat_activity
                   WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"""
        for row in await db.fetch(query):
            last[row["pid"]] = row["query_start"]
        for _ in range(int(seconds / every)):
            await asyncio.sleep(every)
            for row in await db.fetch(query):
                if last.get(row["pid"]) != row["query_start"]:
                    last[row["pid"]] = row["query_start"]
                    started.append(" ".join(row["query"].split()))
        return started
    finally:
        await db.close()


async def test_five_idle_services_leave_postgresql_alone(tmp_path, fresh_dsn, nats_url):
    settings = sweep_settings(tmp_path, fresh_dsn, nats_url)
    async with AsyncExitStack() as stack:
        for app in every_app(settings):
            await stack.enter_async_context(serving(app))
        await asyncio.sleep(5)  # start-up work: migrations, first polls, the first pruning
        started = await statements_seen(fresh_dsn, 20)
    # the periodic jobs of minutes (a download-client poll, a session sweep) may fall in the window
    assert len(started) <= 6, started
