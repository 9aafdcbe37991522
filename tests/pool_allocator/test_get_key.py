"""pool.key.get and POST /api/v1/internal/pool/get-key: the same answers, for every reason."""

import uuid

import pytest

TRANSPORTS = ["http", "nats"]


def ask(pool, transport):
    return pool.get_key_http if transport == "http" else pool.get_key_nats


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_active_user_gets_the_decrypted_key(pool, transport):
    key = await pool.add_key()
    user = await pool.add_user()
    reply = await ask(pool, transport)(user)
    assert reply.allowed and reply.pool_key == key["rawKey"] and reply.pool_key_id == key["id"]
    assert reply.device_count == 1 and reply.message == "ok"


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_refusals_name_their_reason(pool, transport):
    await pool.add_key()
    get = ask(pool, transport)
    unknown = await get(str(uuid.uuid4()))
    assert not unknown.allowed and unknown.message == "unknown user" and unknown.pool_key is None
    suspended = await pool.add_user(subStatus="suspended")
    assert "suspended" in (await get(suspended)).message
    cancelled = await pool.add_user(subStatus="cancelled")
    assert "cancelled" in (await get(cancelled)).message
    trial = await pool.add_user(trialDays=5)
    assert (await get(trial)).allowed
    await pool.db.execute(
        "UPDATE user_subs SET trial_enddate = now() - interval '1 day' WHERE uuid = $1", uuid.UUID(trial)
    )
    ended = await get(trial, "device-2")
    assert not ended.allowed and "trial ended" in ended.message and ended.pool_key is None


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_fourth_device_is_refused_and_known_devices_still_work(pool, transport):
    await pool.add_key()
    user = await pool.add_user()
    get = ask(pool, transport)
    for n in range(1, 4):
        reply = await get(user, f"device-{n}")
        assert reply.allowed and reply.device_count == n
    fourth = await get(user, "device-4")
    assert not fourth.allowed and "device limit" in fourth.message and fourth.device_count == 3
    assert (await get(user, "device-2")).allowed


async def test_devices_outside_the_window_do_not_count(pool):
    await pool.add_key()
    user = await pool.add_user()
    for n in range(3):
        assert (await pool.get_key_nats(user, f"old-{n}")).allowed
    await pool.db.execute(
        "UPDATE torbox_assignments SET last_used_at = now() - interval '31 days' WHERE device_id = 'old-0'"
    )
    await pool.http.patch(f"/pool/users/{user}", json={"subType": "pro"})  # drops the cached answer
    assert (await pool.get_key_nats(user, "new")).allowed


async def test_no_room_in_any_pool(pool):
    await pool.add_key(maxUserSlots=1)
    first, second = await pool.add_user(), await pool.add_user()
    assert (await pool.get_key_nats(first)).allowed
    refused = await pool.get_key_nats(second)
    assert not refused.allowed and "no room in any pool" in refused.message


async def test_highest_priority_healthy_pool_and_lowest_slot_first(pool):
    low = await pool.add_key(priority=1)
    high = await pool.add_key(priority=10)
    degraded = await pool.add_key(priority=100)
    await pool.db.execute("UPDATE torbox_pool SET status = 'degraded' WHERE id = $1", uuid.UUID(degraded["id"]))
    users = [await pool.add_user() for _ in range(3)]
    for user in users:
        assert (await pool.get_key_nats(user)).pool_key_id == high["id"]
    slots = await pool.db.fetch(
        "SELECT slot_number FROM torbox_slots WHERE pool_key_id = $1 AND user_id IS NOT NULL ORDER BY 1",
        uuid.UUID(high["id"]),
    )
    assert [r["slot_number"] for r in slots] == [1, 2, 3]
    assert low["id"] != high["id"]


async def test_degraded_pools_are_used_only_when_healthy_ones_are_full(pool):
    healthy = await pool.add_key(maxUserSlots=1, priority=1)
    degraded = await pool.add_key(priority=50)
    await pool.db.execute("UPDATE torbox_pool SET status = 'degraded' WHERE id = $1", uuid.UUID(degraded["id"]))
    first, second = await pool.add_user(), await pool.add_user()
    assert (await pool.get_key_nats(first)).pool_key_id == healthy["id"]
    assert (await pool.get_key_nats(second)).pool_key_id == degraded["id"]


async def test_assignment_is_sticky_across_devices_and_priority_changes(pool):
    first = await pool.add_key(priority=1)
    user = await pool.add_user()
    assert (await pool.get_key_nats(user, "a")).pool_key_id == first["id"]
    await pool.add_key(priority=99)
    assert (await pool.get_key_nats(user, "b")).pool_key_id == first["id"]


@pytest.mark.parametrize("status", ["disabled", "failing"])
async def test_no_stale_key_after_a_pool_stops_working(pool, status):
    old = await pool.add_key(priority=10)
    new = await pool.add_key(priority=1)
    user = await pool.add_user()
    assert (await pool.get_key_nats(user)).pool_key == old["rawKey"]
    if status == "disabled":
        response = await pool.http.patch(f"/pool/keys/{old['id']}", json={"status": "disabled"})
        assert response.status_code == 200 and response.json()["status"] == "disabled"
    else:
        # what the health monitor does when a key fails, including the broadcast that drops cached answers
        await pool.db.execute("UPDATE torbox_pool SET status = 'failing' WHERE id = $1", uuid.UUID(old["id"]))
        from libs.schemas import POOL_CACHE_INVALIDATE, CacheInvalidation

        await pool.bus.broadcast(POOL_CACHE_INVALIDATE, CacheInvalidation(pool_key_ids=[old["id"]]))
        await pool.bus.nc.flush()
        import asyncio

        await asyncio.sleep(0.2)
    moved = await pool.get_key_nats(user)
    assert moved.allowed and moved.pool_key == new["rawKey"] and moved.pool_key_id == new["id"]
    counts = await pool.db.fetch("SELECT id, current_user_slots FROM torbox_pool")
    assert {str(r["id"]): r["current_user_slots"] for r in counts} == {old["id"]: 0, new["id"]: 1}


async def test_a_user_on_a_failing_key_with_nowhere_to_go_is_told_so(pool):
    only = await pool.add_key()
    user = await pool.add_user()
    assert (await pool.get_key_nats(user)).allowed
    await pool.http.patch(f"/pool/keys/{only['id']}", json={"status": "disabled"})
    reply = await pool.get_key_nats(user)
    assert not reply.allowed and "no other pool has room" in reply.message
    assert await pool.db.fetchval("SELECT count(*) FROM torbox_slots WHERE user_id IS NOT NULL") == 1


async def test_a_subscription_change_takes_effect_at_once(pool):
    await pool.add_key()
    user = await pool.add_user()
    assert (await pool.get_key_nats(user)).allowed
    response = await pool.http.patch(f"/pool/users/{user}", json={"subStatus": "suspended"})
    assert response.status_code == 200
    assert not (await pool.get_key_nats(user)).allowed


async def test_repeat_answers_come_from_memory(pool):
    await pool.add_key()
    user = await pool.add_user()
    await pool.get_key_nats(user)
    # were the database consulted, the deleted subscription would refuse the user
    await pool.db.execute("DELETE FROM user_subs WHERE uuid = $1", uuid.UUID(user))
    assert (await pool.get_key_nats(user)).allowed


async def test_activity_of_cached_answers_reaches_the_database(pool):
    await pool.add_key()
    user = await pool.add_user()
    await pool.get_key_nats(user)
    await pool.db.execute("UPDATE torbox_slots SET last_activity_at = now() - interval '2 days'")
    await pool.get_key_nats(user)
    from tests.support.asgi import eventually

    await eventually(
        lambda: pool.db.fetchval(
            "SELECT last_activity_at > now() - interval '1 minute' FROM torbox_slots WHERE user_id IS NOT NULL"
        )
    )


async def test_bad_user_ids(pool):
    response = await pool.http.post(
        "/api/v1/internal/pool/get-key",
        json={"userId": "not-a-uuid", "deviceId": "d", "action": "stream"},
        headers={"X-Internal-Api-Key": pool.settings.internal_api_key},
    )
    assert response.status_code == 400 and response.json()["field"] == "userId"
    from libs.bus import BusError

    with pytest.raises(BusError) as caught:
        await pool.get_key_nats("not-a-uuid")
    assert caught.value.code == 400


@pytest.mark.parametrize(
    ("body", "field"),
    [({"deviceId": "d", "action": "x"}, "userId"), ({"userId": 3, "deviceId": "d", "action": "x"}, "userId")],
)
async def test_malformed_get_key_bodies_are_422(pool, body, field):
    response = await pool.http.post(
        "/api/v1/internal/pool/get-key", json=body, headers={"X-Internal-Api-Key": pool.settings.internal_api_key}
    )
    assert response.status_code == 422 and response.json()["field"] == field


async def test_the_internal_api_needs_its_key(pool):
    body = {"userId": str(uuid.uuid4()), "deviceId": "d", "action": "x"}
    missing = await pool.http.post("/api/v1/internal/pool/get-key", json=body)
    assert missing.status_code == 401
    wrong = await pool.http.post("/api/v1/internal/pool/get-key", json=body, headers={"X-Internal-Api-Key": "nope"})
    assert wrong.status_code == 403


async def test_a_malformed_nats_request_gets_an_error_reply_and_the_subscription_lives(pool):
    msg = await pool.bus.nc.request("pool.key.get", b"{broken", timeout=5)
    assert msg.headers["Chillproxy-Error"] == "400"
    user = await pool.add_user()
    await pool.add_key()
    assert (await pool.get_key_nats(user)).allowed
