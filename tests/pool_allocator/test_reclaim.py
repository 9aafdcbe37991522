"""Reclamation: idle slots freed, counters true, and one run per period however many processes."""

import asyncio
import uuid

from libs.db import create_pool
from services.pool_allocator.cache import AccessCache
from services.pool_allocator.config import PoolConfig
from services.pool_allocator.invalidation import Invalidator
from services.pool_allocator.reclaim import Reclaimer


async def test_idle_slots_are_freed_once_per_period_across_processes(pool, fresh_dsn):
    key = await pool.add_key()
    users = [await pool.add_user() for _ in range(5)]
    for user in users:
        assert (await pool.get_key_nats(user)).allowed
    idle = [uuid.UUID(u) for u in users[:3]]
    await pool.db.execute(
        "UPDATE torbox_slots SET last_activity_at = now() - interval '4 days' WHERE user_id = ANY($1::uuid[])", idle
    )
    # a new period begins (the service claimed the current one when it started)
    await pool.db.execute("DELETE FROM pool_job_runs")
    # two allocator processes: each has its own database pool and cache
    pools = [await create_pool(fresh_dsn, min_size=1, max_size=3) for _ in range(2)]
    try:
        reclaimers = [
            Reclaimer(db, PoolConfig(), Invalidator(AccessCache(60), None), runner=f"process-{n}")
            for n, db in enumerate(pools)
        ]
        results = await asyncio.gather(*(r.run_once() for r in reclaimers))
        (freed,) = [r for r in results if r is not None]  # exactly one of the two ran
        assert sorted(freed) == sorted(idle)
        assert await reclaimers[0].run_once() is None  # the period is done: nobody runs it again
        assert await reclaimers[1].run_once() is None
    finally:
        for db in pools:
            await db.close()
    counter = await pool.db.fetchval("SELECT current_user_slots FROM torbox_pool WHERE id = $1", uuid.UUID(key["id"]))
    assert counter == 2 == await pool.db.fetchval("SELECT count(*) FROM torbox_slots WHERE user_id IS NOT NULL")
    runs = await pool.db.fetch("SELECT runner, result FROM pool_job_runs WHERE job = 'reclaim'")
    assert len(runs) == 1 and runs[0]["result"]["freed"] == 3


async def test_a_reclaimed_user_gets_a_slot_again_at_the_next_request(pool):
    await pool.add_key(maxUserSlots=1)
    user, other = await pool.add_user(), await pool.add_user()
    assert (await pool.get_key_nats(user)).allowed
    assert not (await pool.get_key_nats(other)).allowed
    await pool.db.execute("UPDATE torbox_slots SET last_activity_at = now() - interval '4 days'")
    await pool.db.execute("DELETE FROM pool_job_runs")  # the next period
    assert await pool.app.state.pool.reclaimer.run_once() == [uuid.UUID(user)]
    # the freed slot goes to whoever asks first; the reclaimed user's cached answer is gone
    assert (await pool.get_key_nats(other)).allowed
    refused = await pool.get_key_nats(user)
    assert not refused.allowed and "no room" in refused.message


async def test_active_users_are_not_reclaimed(pool):
    await pool.add_key()
    user = await pool.add_user()
    await pool.get_key_nats(user)
    await pool.db.execute("UPDATE torbox_slots SET last_activity_at = now() - interval '2 days'")
    await pool.db.execute("DELETE FROM pool_job_runs")
    assert await pool.app.state.pool.reclaimer.run_once() == []
