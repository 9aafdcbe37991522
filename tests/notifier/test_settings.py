"""The integrations document: admin only, partial updates, keys encrypted at rest and masked on read."""

import base64

import httpx

from libs.crypto import MASK


async def test_admin_token_required(notifier):
    async with httpx.AsyncClient(base_url=notifier.base) as anonymous:
        assert (await anonymous.get("/settings/integrations")).status_code == 401
        wrong = await anonymous.get("/settings/integrations", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 403


async def test_defaults_then_partial_updates_with_the_key_masked_and_encrypted(notifier):
    first = (await notifier.client.get("/settings/integrations")).json()
    assert first == {
        "jellyfin": {"enabled": False, "url": "", "apiKey": ""},
        "emby": {"enabled": False, "url": "", "apiKey": ""},
        "pathMappings": [],
        "coalesceSeconds": 30.0,
        "refreshOn": "both",
        "alertTargets": [],
        "alertQuietMinutes": 15,
    }
    key = "jellyfin-secret-key-123456"
    shown = await notifier.configure(jellyfin={"enabled": True, "url": "http://jf:8096", "apiKey": key})
    assert shown["jellyfin"]["apiKey"] == MASK + key[-4:] and key not in str(shown)
    # a PATCH that sends the mask back (what a settings page does) keeps the stored key
    again = await notifier.configure(jellyfin={"apiKey": shown["jellyfin"]["apiKey"], "enabled": True})
    assert again["jellyfin"] == {"enabled": True, "url": "http://jf:8096", "apiKey": MASK + key[-4:]}
    # ... but not to another address: the key entered for one server is never sent to a new one unasked
    for patch in ({"apiKey": shown["jellyfin"]["apiKey"], "url": "http://jf2:8096"}, {"url": "http://jf2:8096"}):
        refused = await notifier.client.patch("/settings/integrations", json={"jellyfin": patch})
        assert (refused.status_code, refused.json()["field"]) == (422, "jellyfin.apiKey")
    again = await notifier.configure(jellyfin={"apiKey": key, "url": "http://jf2:8096"})
    assert again["jellyfin"] == {"enabled": True, "url": "http://jf2:8096", "apiKey": MASK + key[-4:]}
    assert again["coalesceSeconds"] == 30.0  # untouched
    stored = await _stored(notifier)
    assert key not in stored and "jf2" in stored
    assert (await notifier.app.state.notifier.store.get()).jellyfin.api_key == key


async def _stored(notifier) -> str:
    from libs.db import create_pool

    db = await create_pool(notifier.settings.database_url, min_size=1, max_size=1)
    try:
        return str(await db.fetchval("SELECT document FROM notifier_settings"))
    finally:
        await db.close()


async def test_bad_input_is_a_422_naming_the_field(notifier):
    for body, field in [
        ({"jellyfin": {"enabled": True, "url": "http://jf:8096"}}, "jellyfin.apiKey"),
        ({"emby": {"enabled": True, "apiKey": "k"}}, "emby.url"),
        ({"emby": {"url": "ftp://x"}}, "emby.url"),
        ({"coalesceSeconds": -1}, "coalesceSeconds"),
        ({"pathMappings": [{"from": "relative", "to": "/media"}]}, "pathMappings[0].from"),
        ({"plex": {}}, None),
    ]:
        response = await notifier.client.patch("/settings/integrations", json=body)
        assert response.status_code in (400, 422), body
        if field:
            assert response.status_code == 422 and response.json()["field"] == field, (body, response.text)
    assert (await notifier.client.patch("/settings/integrations", content=b"{nope")).status_code == 400


async def test_connection_tests_say_ok_or_why_not(notifier):
    jellyfin, emby = notifier.jellyfin, notifier.emby
    assert (await notifier.client.post("/settings/integrations/test-jellyfin")).status_code == 422  # nothing saved
    await notifier.enable_both()
    ok = (await notifier.client.post("/settings/integrations/test-jellyfin")).json()
    assert ok == {"ok": True, "serverName": "fake Jellyfin", "version": "12.0.0"}
    assert (await notifier.client.post("/settings/integrations/test-emby")).json()["ok"] is True
    await notifier.configure(jellyfin={"apiKey": "a-wrong-key-000"})
    refused = (await notifier.client.post("/settings/integrations/test-jellyfin")).json()
    assert refused["ok"] is False and "refused the API key (401)" in refused["error"]
    assert "a-wrong-key-000" not in refused["error"]
    emby.down = True
    down = (await notifier.client.post("/settings/integrations/test-emby")).json()
    assert down == {"ok": False, "error": "emby answered 503"}
    assert jellyfin.legacy_auth is False  # the Jellyfin 12 default: only the MediaBrowser header works


async def test_a_change_with_the_browsers_login_must_come_from_our_own_page(notifier):
    """The settings page's Basic login is sent by the browser with any site's request: another site's page
    must not be able to change the settings with it (a token in a header it cannot forge is fine)."""
    basic = {"Authorization": "Basic " + base64.b64encode(f"x:{notifier.settings.admin_token}".encode()).decode()}
    host = notifier.base.removeprefix("http://")
    body = {"coalesceSeconds": 7}
    async with httpx.AsyncClient(base_url=notifier.base) as browser:
        for headers in ({"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                        {"Sec-Fetch-Site": "same-site", "Origin": "http://localhost:8096"}):  # fmt: skip
            refused = await browser.patch("/settings/integrations", json=body, headers=basic | headers)
            assert refused.status_code == 403, headers
        assert (
            await browser.get("/settings/integrations", headers=basic | {"Sec-Fetch-Site": "cross-site"})
        ).is_success
        for headers in ({"Origin": f"http://{host}"}, {"Sec-Fetch-Site": "same-origin"}, {}):
            allowed = await browser.patch("/settings/integrations", json=body, headers=basic | headers)
            assert allowed.status_code == 200, (headers, allowed.text)
        bearer = {"Authorization": f"Bearer {notifier.settings.admin_token}", "Origin": "http://evil.example"}
        assert (await browser.patch("/settings/integrations", json=body, headers=bearer)).status_code == 200
