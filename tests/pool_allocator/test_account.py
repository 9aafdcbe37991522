"""A user's own account: signing in checks the bcrypt hash, says nothing of which part was wrong, and locks
an email after five wrong passwords; rotating the uuid leaves the old one nobody's."""

import uuid

from services.pool_allocator.account import MAX_FAILURES


async def test_sign_in_refuses_alike_and_locks_a_guessed_email(pool):
    await pool.add_user(email="ann@household.example", password="correct horse")
    good = await pool.http.post("/pool/account", json={"email": "Ann@household.example", "password": "correct horse"})
    assert good.status_code == 200 and good.json()["email"] == "ann@household.example"
    wrong = await pool.http.post("/pool/account", json={"email": "ann@household.example", "password": "battery"})
    nobody = await pool.http.post("/pool/account", json={"email": "who@household.example", "password": "battery"})
    assert wrong.status_code == nobody.status_code == 403
    assert wrong.json()["message"] == nobody.json()["message"] == "the email or the password is wrong"
    for _ in range(MAX_FAILURES - 1):
        await pool.http.post("/pool/account", json={"email": "ann@household.example", "password": "battery"})
    locked = await pool.http.post("/pool/account", json={"email": "ann@household.example", "password": "correct horse"})
    assert locked.status_code == 429 and "minutes" in locked.json()["message"]
    for bad in ({"email": "ann@household.example"}, {"email": "not an email", "password": "x"}, {"x": 1}):
        assert (await pool.http.post("/pool/account", json=bad)).status_code == 422
    assert (await pool.http.post("/pool/account", content=b"{nope")).status_code == 400


async def test_a_rotated_uuid_is_nobodys_and_devices_are_forgotten_one_by_one(pool):
    await pool.add_key()
    old = await pool.add_user(email="bea@household.example", password="correct horse")
    for device in ("tv", "phone"):
        assert (await pool.get_key_nats(old, device)).allowed
    credentials = {"email": "bea@household.example", "password": "correct horse"}
    shown = (await pool.http.post("/pool/account", json=credentials)).json()
    assert shown["uuid"] == old and len(shown["devices"]) == 2
    device = shown["devices"][0]["deviceId"]
    left = await pool.http.post("/pool/account/forget-device", json=credentials | {"deviceId": device})
    assert [d["deviceId"] for d in left.json()["devices"]] == [shown["devices"][1]["deviceId"]]
    gone = await pool.http.post("/pool/account/forget-device", json=credentials | {"deviceId": device})
    assert gone.status_code == 404
    rotated = (await pool.http.post("/pool/account/rotate", json=credentials)).json()
    new = rotated["uuid"]
    assert new != old and len(rotated["devices"]) == 1  # the account keeps its devices and its slot
    assert not (await pool.get_key_nats(old)).allowed
    assert (await pool.get_key_nats(new)).allowed
    assert (await pool.http.get(f"/pool/users/{old}")).status_code == 404
    assert (await pool.http.get(f"/pool/users/{new}")).json()["slot"] is not None
    assert (await pool.http.get(f"/pool/users/{uuid.uuid4()}")).status_code == 404
