"""The pool's admin API: keys and users, validation, masking — and no raw key anywhere."""

import io
import uuid

import pytest

from libs.telemetry import configure_logging

RAW = "tb_admin_secret_key_0123456789abcdef"


async def test_keys_are_masked_listed_and_updated(pool):
    created = await pool.http.post("/pool/keys", json={"apiKey": RAW, "priority": 3, "maxUserSlots": 4})
    assert created.status_code == 201
    key = created.json()
    assert key["apiKey"] == "********" + RAW[-4:] and key["maxConcurrentStreams"] == 35
    assert key["slotStatus"] == "OK" and key["concurrencyStatus"] == "OK" and key["status"] == "healthy"
    listed = (await pool.http.get("/pool/keys")).json()
    assert [k["id"] for k in listed] == [key["id"]]
    assert await pool.db.fetchval("SELECT count(*) FROM torbox_slots") == 4

    patched = await pool.http.patch(f"/pool/keys/{key['id']}", json={"maxUserSlots": 6, "priority": 9})
    assert patched.status_code == 200 and patched.json()["maxUserSlots"] == 6 and patched.json()["priority"] == 9
    assert await pool.db.fetchval("SELECT count(*) FROM torbox_slots") == 6


async def test_utilisation_thresholds(pool):
    key = await pool.add_key(maxUserSlots=5, maxConcurrentStreams=35)
    users = [await pool.add_user() for _ in range(4)]
    for user in users:
        await pool.get_key_nats(user)
    await pool.db.execute("UPDATE torbox_pool SET current_concurrent_streams = 30")
    view = (await pool.http.get(f"/pool/keys/{key['id']}")).json()
    assert view["slotUtilizationPct"] == 80.0 and view["slotStatus"] == "WARNING"
    assert view["concurrencyStatus"] == "WARNING"
    await pool.get_key_nats(await pool.add_user())
    await pool.db.execute("UPDATE torbox_pool SET current_concurrent_streams = 33")
    view = (await pool.http.get(f"/pool/keys/{key['id']}")).json()
    assert view["slotStatus"] == "CRITICAL" and view["concurrencyStatus"] == "CRITICAL"


async def test_slots_in_use_cannot_be_removed(pool):
    key = await pool.add_key(maxUserSlots=3)
    for _ in range(2):
        await pool.get_key_nats(await pool.add_user())
    refused = await pool.http.patch(f"/pool/keys/{key['id']}", json={"maxUserSlots": 1})
    assert refused.status_code == 409 and refused.json()["field"] == "maxUserSlots"
    assert (await pool.http.patch(f"/pool/keys/{key['id']}", json={"maxUserSlots": 2})).status_code == 200


async def test_users_and_subscriptions(pool):
    created = await pool.http.post(
        "/pool/users", json={"email": "Bob@Example.com", "password": "long enough", "subType": "pro", "trialDays": 14}
    )
    assert created.status_code == 201
    user = created.json()
    assert user["subscription"]["subType"] == "pro" and user["subscription"]["trial"] is True
    assert user["slot"] is None and user["devices"] == [] and user["deviceLimit"] == 3
    duplicate = await pool.http.post("/pool/users", json={"email": "bob@example.com", "password": "long enough"})
    assert duplicate.status_code == 409 and duplicate.json()["field"] == "email"

    await pool.add_key()
    await pool.get_key_nats(user["uuid"], "phone")
    shown = (await pool.http.get(f"/pool/users/{user['uuid']}")).json()
    assert shown["slot"]["slotNumber"] == 1 and shown["devices"][0]["deviceId"] == "phone"

    patched = await pool.http.patch(f"/pool/users/{user['uuid']}", json={"subStatus": "cancelled", "trial": False})
    assert patched.json()["subscription"] | {"trialStartdate": None, "trialEnddate": None} == {
        "subType": "pro",
        "subStatus": "cancelled",
        "trial": False,
        "trialStartdate": None,
        "trialEnddate": None,
    }
    hashed = await pool.db.fetchval("SELECT password_hash FROM users WHERE uuid = $1", uuid.UUID(user["uuid"]))
    assert hashed.startswith("$2b$") and "long enough" not in hashed


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [
        ("POST", "/pool/keys", {"apiKey": "short"}, 422, "apiKey"),
        ("POST", "/pool/keys", {"apiKey": RAW, "maxUserSlots": 0}, 422, "maxUserSlots"),
        ("POST", "/pool/keys", {"apiKey": RAW, "surprise": 1}, 422, None),
        ("POST", "/pool/keys", {}, 422, "apiKey"),
        ("PATCH", "/pool/keys/{key}", {"status": "failing"}, 422, "status"),
        ("PATCH", "/pool/keys/{key}", {"priority": "high"}, 422, "priority"),
        ("PATCH", "/pool/keys/not-a-uuid", {"priority": 1}, 400, None),
        ("PATCH", f"/pool/keys/{uuid.UUID(int=1)}", {"priority": 1}, 404, None),
        ("POST", "/pool/users", {"email": "nope", "password": "long enough"}, 422, "email"),
        ("POST", "/pool/users", {"email": "a@b.co", "password": "short"}, 422, "password"),
        ("POST", "/pool/users", {"email": "a@b.co", "password": "long enough", "subType": "gold"}, 422, "subType"),
        ("GET", "/pool/users/not-a-uuid", None, 400, None),
        ("GET", f"/pool/users/{uuid.UUID(int=1)}", None, 404, None),
        ("PATCH", "/pool/users/{user}", {"trial": True}, 422, "trialDays"),
        ("PATCH", "/pool/users/{user}", {"trialDays": -1}, 422, "trialDays"),
    ],
)
async def test_every_field_is_validated(pool, method, path, body, status, field):
    key = await pool.add_key()
    user = await pool.add_user()
    response = await pool.http.request(method, path.format(key=key["id"], user=user), json=body)
    assert response.status_code == status, response.text
    assert response.json().get("field") == field and response.json()["message"]


@pytest.mark.parametrize("path", ["/pool/keys", "/pool/users/" + str(uuid.UUID(int=1)), "/pool/usage"])
async def test_admin_routes_need_the_admin_token(pool, path):
    assert (await pool.http.get(path, headers={"Authorization": ""})).status_code == 401
    assert (await pool.http.get(path, headers={"Authorization": "Bearer wrong"})).status_code == 403


async def test_no_raw_key_in_any_response_or_log_line(pool, fake_torbox):
    """Drive every admin route, failures included, and search every body and every log line for the keys."""
    buffer = io.StringIO()
    configure_logging("tests", "debug", stream=buffer)
    bodies: list[str] = []
    try:
        raw_keys = [RAW, "tb_second_key_abcdefghijklmnop", "tb_rotated_key_qrstuvwxyz012345"]
        fake_torbox.add_account(raw_keys[1])
        created = [await pool.http.post("/pool/keys", json={"apiKey": k}) for k in raw_keys[:2]]
        bodies += [r.text for r in created]
        bodies.append((await pool.http.post("/pool/keys", json={"apiKey": RAW})).text)  # duplicate: 409
        bodies.append((await pool.http.post("/pool/keys", json={"apiKey": RAW + "!"})).text)  # invalid: 422
        first = created[0].json()["id"]
        bodies.append((await pool.http.patch(f"/pool/keys/{first}", json={"apiKey": raw_keys[2]})).text)
        bodies.append((await pool.http.patch(f"/pool/keys/{first}", json={"apiKey": raw_keys[1]})).text)  # 409
        bodies.append((await pool.http.get("/pool/keys")).text)
        bodies.append((await pool.http.get(f"/pool/keys/{first}")).text)
        await pool.app.state.pool.health.check_all()  # a refused key (401) and a good one
        user = await pool.add_user()
        reply = await pool.get_key_nats(user)
        assert reply.pool_key in raw_keys  # the one place a key is handed out: to an internal caller
        bodies.append((await pool.http.get(f"/pool/users/{user}")).text)
        bodies.append((await pool.http.get("/pool/usage")).text)
        bodies.append((await pool.http.get("/health")).text)
    finally:
        configure_logging("tests", "info")
    logs = buffer.getvalue()
    assert "pool-allocator" in logs  # the service's own lines were captured
    for raw in raw_keys:
        assert all(raw not in body for body in bodies), raw
        assert raw not in logs, raw
