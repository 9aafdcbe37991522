"""Periodic work once across replicas: one holder per name, renewed while it runs, taken over when it stops."""

import asyncio

import pytest

from libs.db import PLATFORM_MIGRATIONS, create_pool, migrate
from libs.leases import Leases
from libs.tasks import every


@pytest.fixture
async def db(fresh_dsn):
    pool = await create_pool(fresh_dsn, min_size=1, max_size=6)
    await migrate(pool, "platform", PLATFORM_MIGRATIONS)
    yield pool
    await pool.close()


async def test_one_holder_at_a_time_until_its_lease_runs_out(db):
    first, second = Leases(db, "svc"), Leases(db, "svc")
    assert await first.hold("poll", 0.5) and await first.hold("poll", 0.5)  # taken, then renewed
    assert not await second.hold("poll", 0.5)
    assert await second.hold("other job", 0.5)  # names are apart
    assert await Leases(db, "another service").hold("poll", 0.5)  # and so are services
    await asyncio.sleep(0.7)  # the first stopped renewing (it died)
    assert await second.hold("poll", 5)
    assert not await first.hold("poll", 5)  # it came back: the lease is the second's now


async def test_a_clean_stop_hands_the_lease_on_at_once(db):
    first, second = Leases(db, "svc"), Leases(db, "svc")
    assert await first.hold("poll", 60)
    assert not await second.hold("poll", 60)
    await first.release()
    assert await second.hold("poll", 60)
    assert await db.fetchval("SELECT holder FROM chillproxy_leases WHERE name = 'svc/poll'") == second.holder


async def test_replicas_racing_for_a_free_lease_get_exactly_one_holder(db):
    replicas = [Leases(db, "svc") for _ in range(6)]
    held = await asyncio.gather(*(r.hold("poll", 60) for r in replicas))
    assert sum(held) == 1


async def test_a_leased_job_runs_in_one_replica_and_moves_when_that_one_stops(db):
    ran: list[str] = []

    def replica(name: str, leases: Leases) -> asyncio.Task:
        async def job() -> None:
            ran.append(name)

        return asyncio.create_task(every(0.05, job, what="round", first_now=True, lease=leases))

    a, b = Leases(db, "svc"), Leases(db, "svc")
    runners = {"a": replica("a", a), "b": replica("b", b)}
    await asyncio.sleep(0.6)
    assert len(set(ran)) == 1 and len(ran) >= 5  # one replica ran every round, the other none
    holder = ran[0]
    runners[holder].cancel()
    await asyncio.gather(runners[holder], return_exceptions=True)
    await (a if holder == "a" else b).release()
    before = len(ran)
    await asyncio.sleep(0.6)
    other = "b" if holder == "a" else "a"
    assert ran[before:] and set(ran[before:]) == {other}  # the other replica took the job over
    runners[other].cancel()
    await asyncio.gather(runners[other], return_exceptions=True)
