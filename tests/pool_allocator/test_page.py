"""The pool's admin page in headless Chromium: keys with health, slots and streams; users with their
subscription, devices and last use; the usage chart; the actions as buttons; the admin login required."""

import json

import httpx

from tests.support.browser import drive


async def test_the_pool_page_shows_the_pool_and_its_buttons_work(pool):
    key = await pool.add_key(label="household", maxConcurrentStreams=4)
    ada = await pool.add_user(email="ada@household.example")
    bob = await pool.add_user(email="bob@household.example")
    for device in ("tv", "phone"):
        assert (await pool.get_key_nats(ada, device)).allowed
    headers = {"X-Internal-Api-Key": pool.settings.internal_api_key}
    body = {"userId": ada, "poolKeyId": key["id"], "action": "play", "cached": True}
    assert (await pool.http.post("/api/v1/internal/pool/log-usage", json=body, headers=headers)).status_code == 202

    choices = {"key": key["id"], "user": ada, "deleted": bob, "search": "ADA@"}
    shown = await drive("pool_page.js", f"{pool.base_url}/pool/", pool.settings.admin_token, json.dumps(choices))
    assert len(shown["keys"]) == 1 and "household" in shown["keys"][0] and "healthy" in shown["keys"][0]
    assert "1 / 100" in shown["keys"][0] and "0 / 4" in shown["keys"][0]  # ada holds a slot; no live stream
    assert sorted(row.split("\t")[0] for row in shown["users"]) == ["ada@household.example", "bob@household.example"]
    assert shown["charts"] == 1
    assert "disabled" in shown["keyAfterDisable"] and "Enable" in shown["keyAfterDisable"]
    assert len(shown["devices"]) == 2 and all("Forget" in d for d in shown["devices"])
    assert shown["devicesAfterForget"] == "1"
    assert [row.split("\t")[0] for row in shown["usersAfterDelete"]] == ["ada@household.example"]
    assert [row.split("\t")[0] for row in shown["searched"]] == ["ada@household.example"]
    assert (await pool.http.get(f"/pool/users/{bob}")).status_code == 404
    assert (await pool.http.get(f"/pool/keys/{key['id']}")).json()["status"] == "disabled"

    async with httpx.AsyncClient(base_url=pool.base_url) as anonymous:
        refused = await anonymous.get("/pool/")
        assert refused.status_code == 401 and "Basic" in refused.headers["www-authenticate"]
        # the page's login is no licence for another site's page to change the pool
        basic = httpx.BasicAuth("admin", pool.settings.admin_token)
        forged = await anonymous.delete(f"/pool/users/{ada}", auth=basic, headers={"Sec-Fetch-Site": "cross-site"})
        assert forged.status_code == 403
