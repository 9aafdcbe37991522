"""Exact under concurrency: slots, counters and refusals are right when everyone asks at once."""

import asyncio
import uuid

import asyncpg

from libs.bus import Bus
from libs.schemas import POOL_KEY_GET, PoolKeyRequest


async def insert_users(db: asyncpg.Pool, count: int) -> list[str]:
    rows = await db.fetch(
        """
        WITH new AS (
            INSERT INTO users (email, password_hash)
            SELECT 'user' || n || '-' || gen_random_uuid() || '@example.com', 'x' FROM generate_series(1, $1) n
            RETURNING uuid)
        INSERT INTO user_subs (uuid) SELECT uuid FROM new RETURNING uuid
        """,
        count,
    )
    return [str(r["uuid"]) for r in rows]


async def ask_all(bus: Bus, requests: list[tuple[str, str]]):
    return await asyncio.gather(
        *(
            bus.request(POOL_KEY_GET, PoolKeyRequest(user_id=u, device_id=d, action="stream"), timeout=60)
            for u, d in requests
        )
    )


async def assert_invariants(db: asyncpg.Pool) -> None:
    # a user holds at most one slot, a slot at most one user (the schema says so; check the data anyway)
    assert (
        await db.fetchval(
            "SELECT count(*) FROM (SELECT user_id FROM torbox_slots WHERE user_id IS NOT NULL "
            "GROUP BY user_id HAVING count(*) > 1) d"
        )
        == 0
    )
    pools = await db.fetch(
        """
        SELECT p.id, p.current_user_slots, p.max_user_slots,
               (SELECT count(*) FROM torbox_slots s WHERE s.pool_key_id = p.id AND s.user_id IS NOT NULL) AS held
        FROM torbox_pool p
        """
    )
    for pool in pools:
        assert pool["current_user_slots"] == pool["held"] <= pool["max_user_slots"], dict(pool)


async def test_500_first_requests_over_3_small_pools(pool):
    capacities = [60, 90, 150]
    keys = [await pool.add_key(maxUserSlots=c, priority=p) for c, p in zip(capacities, (3, 2, 1), strict=True)]
    users = await insert_users(pool.db, 520)
    replies = await ask_all(pool.bus, [(u, "tv") for u in users])

    allowed = [r for r in replies if r.allowed]
    refused = [r for r in replies if not r.allowed]
    assert len(allowed) == sum(capacities) and len(refused) == len(users) - sum(capacities)
    assert all("no room in any pool" in r.message for r in refused)
    await assert_invariants(pool.db)
    per_pool = await pool.db.fetch("SELECT id, current_user_slots FROM torbox_pool")
    assert {str(r["id"]): r["current_user_slots"] for r in per_pool} == {
        k["id"]: c for k, c in zip(keys, capacities, strict=True)
    }
    # every allowed user got the key of the pool their slot is in
    by_id = {k["id"]: k["rawKey"] for k in keys}
    assert all(r.pool_key == by_id[r.pool_key_id] for r in allowed)
    holders = await pool.db.fetchval("SELECT count(DISTINCT user_id) FROM torbox_slots WHERE user_id IS NOT NULL")
    assert holders == len(allowed)


async def test_one_user_from_ten_devices_at_once(pool):
    await pool.add_key()
    (user,) = await insert_users(pool.db, 1)
    replies = await ask_all(pool.bus, [(user, f"device-{n}") for n in range(10)])
    assert sum(r.allowed for r in replies) == 3
    assert all("device limit" in r.message for r in replies if not r.allowed)
    assert await pool.db.fetchval("SELECT count(*) FROM torbox_assignments WHERE user_id = $1", uuid.UUID(user)) == 3
    await assert_invariants(pool.db)


async def test_many_users_many_devices_and_a_pool_disabled_midway(pool):
    first = await pool.add_key(maxUserSlots=100, priority=2)
    await pool.add_key(maxUserSlots=100, priority=1)
    users = await insert_users(pool.db, 80)
    requests = [(u, f"d{n}") for u in users for n in range(2)]
    half = len(requests) // 2
    await ask_all(pool.bus, requests[:half])
    disable = pool.http.patch(f"/pool/keys/{first['id']}", json={"status": "disabled"})
    results = await asyncio.gather(disable, ask_all(pool.bus, requests[half:]))
    assert results[0].status_code == 200
    replies = await ask_all(pool.bus, [(u, "d0") for u in users])
    assert all(r.allowed and r.pool_key_id != first["id"] for r in replies)
    await assert_invariants(pool.db)
