"""Running the pool from the admin API: users listed (paged, searched), deleted (their live streams end,
their uuid stops working), keys deleted (their users move), devices reset, usage per user and key by day."""

import uuid

from tests.pool_allocator.test_sessions import open_sessions, start
from tests.support.asgi import eventually


async def test_users_are_listed_a_page_at_a_time_and_searched(pool):
    for name in ("ada", "bob", "cy", "dee", "eve"):
        await pool.add_user(email=f"{name}@household.example")
    first = (await pool.http.get("/pool/users", params={"pageSize": 2})).json()
    assert (first["total"], first["page"], len(first["users"])) == (5, 1, 2)
    assert [u["email"] for u in first["users"]] == ["eve@household.example", "dee@household.example"]  # newest
    last = (await pool.http.get("/pool/users", params={"pageSize": 2, "page": 3})).json()
    assert [u["email"] for u in last["users"]] == ["ada@household.example"]
    found = (await pool.http.get("/pool/users", params={"search": "BO"})).json()
    assert [u["email"] for u in found["users"]] == ["bob@household.example"] and found["total"] == 1
    assert (await pool.http.get("/pool/users", params={"search": "%"})).json()["total"] == 0  # no wildcard
    for bad in ({"page": "x"}, {"page": "0"}, {"pageSize": "501"}, {"search": "x" * 300}):
        answer = await pool.http.get("/pool/users", params=bad)
        assert answer.status_code == 400 and answer.json()["field"] == next(iter(bad))


async def test_deleting_a_user_ends_its_streams_and_its_uuid_stops_working(pool):
    key = await pool.add_key(maxConcurrentStreams=5)
    user, other = await pool.add_user(), await pool.add_user()
    assert (await pool.get_key_nats(user)).allowed and (await pool.get_key_nats(other)).allowed
    for device in ("tv", "phone"):
        assert (await start(pool, user, key["id"], device)).allowed
    assert (await start(pool, other, key["id"])).allowed
    assert await open_sessions(pool, key["id"]) == (3, 3)
    assert (await pool.http.delete(f"/pool/users/{user}")).status_code == 204
    assert await open_sessions(pool, key["id"]) == (1, 1)  # the other user's stream goes on
    slots = await pool.db.fetchval("SELECT current_user_slots FROM torbox_pool WHERE id = $1", uuid.UUID(key["id"]))
    assert slots == 1
    assert (await pool.http.get(f"/pool/users/{user}")).status_code == 404
    refused = await pool.get_key_nats(user)
    assert not refused.allowed and refused.pool_key is None and refused.message
    assert (await pool.http.delete(f"/pool/users/{user}")).status_code == 404
    assert (await pool.http.delete("/pool/users/not-a-uuid")).status_code == 400
    listed = (await pool.http.get("/pool/users")).json()
    assert [u["uuid"] for u in listed["users"]] == [other] and listed["users"][0]["poolKeyId"] == key["id"]


async def test_deleting_a_key_moves_its_users_at_their_next_request(pool):
    first = await pool.add_key(priority=2)
    second = await pool.add_key(priority=1)
    user = await pool.add_user()
    assert (await pool.get_key_nats(user)).pool_key_id == first["id"]
    assert (await pool.http.delete(f"/pool/keys/{first['id']}")).status_code == 204
    moved = await pool.get_key_nats(user)
    assert moved.allowed and moved.pool_key_id == second["id"]
    assert (await pool.http.get(f"/pool/keys/{first['id']}")).status_code == 404
    assert (await pool.http.delete(f"/pool/keys/{first['id']}")).status_code == 404
    assert [k["id"] for k in (await pool.http.get("/pool/keys")).json()] == [second["id"]]


async def test_a_user_locked_out_by_the_device_limit_is_let_in_again(pool):
    await pool.add_key()
    user = await pool.add_user()
    for device in ("tv", "phone", "laptop"):
        assert (await pool.get_key_nats(user, device)).allowed
    assert not (await pool.get_key_nats(user, "tablet")).allowed  # a fourth device: refused for 30 days
    shown = await pool.http.delete(f"/pool/users/{user}/devices/phone")
    assert shown.status_code == 200 and sorted(d["deviceId"] for d in shown.json()["devices"]) == ["laptop", "tv"]
    assert (await pool.get_key_nats(user, "tablet")).allowed
    assert (await pool.http.delete(f"/pool/users/{user}/devices/phone")).status_code == 404  # gone already
    assert (await pool.http.delete(f"/pool/users/{user}/devices")).json()["devices"] == []
    assert (await pool.http.delete(f"/pool/users/{uuid.uuid4()}/devices")).status_code == 404


async def test_usage_per_user_and_per_key_by_day(pool):
    key = await pool.add_key()
    user = await pool.add_user()
    headers = {"X-Internal-Api-Key": pool.settings.internal_api_key}
    for n in range(3):
        body = {"userId": user, "poolKeyId": key["id"], "action": "play", "cached": n != 0, "bytes": 1000}
        assert (await pool.http.post("/api/v1/internal/pool/log-usage", json=body, headers=headers)).status_code == 202
    by_user = await eventually(lambda: _days(pool, f"/pool/usage/users/{user}", 3))
    assert by_user["id"] == user and len(by_user["days"]) == 1
    assert {k: by_user["days"][0][k] for k in ("events", "streams", "cached", "bytes")} == {
        "events": 3, "streams": 3, "cached": 2, "bytes": 3000,
    }  # fmt: skip
    by_key = (await pool.http.get(f"/pool/usage/keys/{key['id']}", params={"days": 7})).json()
    assert by_key["days"][0]["events"] == 3
    assert (await pool.http.get(f"/pool/usage/keys/{key['id']}", params={"days": "0"})).status_code == 400
    assert (await pool.http.get("/pool/usage/users/nope")).status_code == 400
    assert (await pool.http.get(f"/pool/usage/users/{uuid.uuid4()}")).json()["days"] == []


async def _days(pool, path, events):
    found = (await pool.http.get(path)).json()
    return found if sum(d["events"] for d in found["days"]) >= events else None


async def test_keys_are_searched_by_label_a_page_at_a_time(pool):
    for label in ("household", "friends", "family"):
        await pool.add_key(label=label)
    found = await pool.http.get("/pool/keys", params={"search": "FAM"})
    assert [k["label"] for k in found.json()] == ["family"] and found.headers["x-total-count"] == "1"
    paged = await pool.http.get("/pool/keys", params={"pageSize": 2, "page": 2})
    assert len(paged.json()) == 1 and paged.headers["x-total-count"] == "3"
    assert (await pool.http.get("/pool/keys", params={"page": "-1"})).status_code == 400
