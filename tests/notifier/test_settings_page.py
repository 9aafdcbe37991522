"""The settings page in headless Chromium: it reads the document, saves it, tests the connection, and says
why a save is refused — the key never shown back."""

import json

import httpx

from libs.crypto import MASK
from libs.schemas import Alert
from services.notifier.hooks import hooks_token
from tests.fakes import arr_webhooks as arr
from tests.fakes.alert_targets import FakeNtfy
from tests.support.asgi import serving_fake
from tests.support.browser import drive as run_driver


async def drive(url: str, token: str, choices: dict) -> dict:
    return await run_driver("settings_page.js", url, token, json.dumps(choices))


async def test_the_page_saves_tests_and_explains(notifier):
    ntfy = FakeNtfy()
    async with serving_fake(ntfy):
        await check_the_page(notifier, ntfy)


async def check_the_page(notifier, ntfy):
    jellyfin = notifier.jellyfin
    indexer_down = Alert(subject="indexer:4", state="failing", title="Indexer Nyaa is down", message="…", source="x")
    await notifier.app.state.notifier.alerts.raised([indexer_down])  # before any target: told to nobody
    token = hooks_token(notifier.settings.secret_key)
    async with httpx.AsyncClient() as sonarr:  # Sonarr's Test button, before the page is opened
        await sonarr.post(f"{notifier.base}/hooks/sonarr?token={token}", json=arr.sonarr_test())
    shown = await drive(
        f"{notifier.base}/settings/integrations/",
        notifier.settings.admin_token,
        {
            "url": jellyfin.base_url, "apiKey": jellyfin.api_key, "mappings": "/downloads => /media", "coalesce": 12,
            "refreshOn": "import", "ntfyUrl": f"{ntfy.base_url}/household-alerts",
        },
    )  # fmt: skip
    assert shown["sonarrHook"] == f"{notifier.base}/hooks/sonarr?token={token}"
    assert shown["sonarrLast"].startswith("Test (Test Title) from Sonarr") and "0 path(s) queued" in shown["sonarrLast"]
    assert shown["loaded"] == "30" and shown["saved"] == "Saved."
    assert shown["keyShown"] == MASK + jellyfin.api_key[-4:]
    assert shown["tested"] == "Connected to fake Jellyfin 12.0.0"
    assert shown["refused"].startswith("Not saved: emby.url")
    document = (await notifier.client.get("/settings/integrations")).json()
    assert document["pathMappings"] == [{"from": "/downloads", "to": "/media"}] and document["coalesceSeconds"] == 12
    assert document["refreshOn"] == "import"
    assert shown["urlShown"].startswith(ntfy.base_url) and "household-alerts" not in shown["urlShown"]
    assert shown["alertTested"] == "Sent." and ntfy.messages[-1]["title"] == "Chillproxy test alert"
    assert document["alertTargets"][0]["name"] == "phone" and MASK in document["alertTargets"][0]["url"]
    assert "Indexer Nyaa is down — no target" in shown["recent"]
    assert document["jellyfin"]["enabled"] is True and document["emby"]["enabled"] is False
    async with httpx.AsyncClient(base_url=notifier.base) as anonymous:
        page = await anonymous.get("/settings/integrations/")
        assert page.status_code == 401 and "Basic" in page.headers["www-authenticate"]
