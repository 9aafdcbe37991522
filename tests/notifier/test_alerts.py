"""Alerts: raised by any service on `alert.raised` (or by the notifier itself), told once per subject per
quiet period to every enabled target — ntfy, Discord, a JSON webhook — retried until each takes it, the
targets' URLs kept secret."""

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from libs.bus import publish
from libs.crypto import MASK
from libs.schemas import ALERT_RAISED, TORRENT_STATUS, Alert, TorrentStatus
from services.notifier.alerts import decide
from tests.fakes.alert_targets import FakeDiscord, FakeJsonReceiver, FakeNtfy
from tests.support.asgi import eventually, serving_fake

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
QUIET = timedelta(minutes=15)


@pytest.mark.parametrize(
    ("told", "told_at", "state", "expected"),
    [
        (None, None, "failing", "send"),  # the first failure
        (None, None, "recovered", "drop"),  # nobody heard it fail
        ("failing", NOW - timedelta(minutes=1), "failing", "drop"),  # still failing: told already
        ("failing", NOW - timedelta(minutes=1), "recovered", "hold"),  # within the quiet period: waits
        ("failing", NOW - timedelta(minutes=15), "recovered", "send"),
        ("recovered", NOW - timedelta(hours=3), "failing", "send"),
        ("recovered", NOW - timedelta(minutes=2), "failing", "hold"),
    ],
)
def test_what_is_told(told, told_at, state, expected):
    assert decide(told, told_at, state, NOW, QUIET) == expected


@pytest.fixture
async def targets():
    ntfy, discord, receiver = FakeNtfy(tokens={"chillproxy": "tk_ntfy_token_00001"}), FakeDiscord(), FakeJsonReceiver()
    async with serving_fake(ntfy), serving_fake(discord), serving_fake(receiver):
        yield ntfy, discord, receiver


async def configure(notifier, targets, **extra):
    ntfy, discord, receiver = targets
    return await notifier.configure(
        alertTargets=[
            {"name": "phone", "type": "ntfy", "url": f"{ntfy.base_url}/chillproxy", "token": "tk_ntfy_token_00001"},
            {"name": "server", "type": "discord", "url": f"{discord.base_url}{discord.webhook_path}"},
            {"name": "home assistant", "type": "webhook", "url": f"{receiver.base_url}/api/webhook/chill"},
        ],
        **extra,
    )


def failing(subject="pool-key:1", message="TorBox refused the key (401)"):
    return Alert(subject=subject, state="failing", title="Pool key failing", message=message, source="pool-allocator")


async def test_an_alert_reaches_every_target_as_each_wants_it(notifier, targets):
    ntfy, discord, receiver = targets
    await configure(notifier, targets)
    await publish(notifier.bus, ALERT_RAISED, failing(message="x" * 1990))
    await eventually(lambda: ntfy.messages and discord.messages and receiver.received, timeout=15)
    (sent,) = ntfy.messages
    assert (sent["title"], sent["tags"], sent["priority"]) == ("Pool key failing", ["rotating_light"], 4)
    assert sent["message"] == "x" * 1990
    (posted,) = discord.messages
    assert posted["content"] == "**Pool key failing**" and len(posted["embeds"][0]["description"]) == 1990
    (hook,) = receiver.received
    assert (hook["subject"], hook["state"], hook["source"]) == ("pool-key:1", "failing", "pool-allocator")
    shown = (await notifier.client.get("/settings/integrations/alerts")).json()["recent"]
    assert [d["target"] for d in shown[0]["deliveries"]] == ["home assistant", "phone", "server"]
    assert all(d["sentAt"] and d["lastError"] is None for d in shown[0]["deliveries"])


async def test_one_alert_per_subject_and_a_change_waits_out_the_quiet_period(notifier, targets):
    ntfy, _, _ = targets
    await configure(notifier, targets)
    for _ in range(3):
        await publish(notifier.bus, ALERT_RAISED, failing())  # the key keeps failing
    recovered = Alert(subject="pool-key:1", state="recovered", title="Pool key back", message="ok", source="pool")
    await publish(notifier.bus, ALERT_RAISED, recovered)
    await publish(notifier.bus, ALERT_RAISED, failing(subject="indexer:3"))  # another subject: its own
    await eventually(lambda: len(ntfy.messages) == 2, timeout=15)
    assert sorted(m["title"] for m in ntfy.messages) == ["Pool key failing", "Pool key failing"]
    db = await asyncpg.connect(notifier.settings.database_url)
    try:
        held = "SELECT pending->>'state' = 'recovered' FROM notifier_alert_subjects WHERE subject = 'pool-key:1'"
        await eventually(lambda: db.fetchval(held), timeout=10)  # held, not lost
        await db.execute("UPDATE notifier_alert_subjects SET pending_due = now(), sent_at = now() - interval '1 hour'")
    finally:
        await db.close()
    await eventually(lambda: len(ntfy.messages) == 3, timeout=90)  # the quiet period over: told
    assert ntfy.messages[-1]["title"] == "Pool key back" and ntfy.messages[-1]["tags"] == ["white_check_mark"]


async def test_a_target_that_fails_is_retried_and_shows_why(notifier, targets):
    _, discord, receiver = targets
    await configure(notifier, targets)
    discord.limited, discord.retry_after = 1, 1.0
    receiver.failing = True
    await publish(notifier.bus, ALERT_RAISED, failing())
    await eventually(lambda: discord.messages, timeout=20)  # after Discord's retry_after
    deliveries = await eventually(lambda: _deliveries(notifier, "home assistant"), timeout=10)
    assert deliveries["lastError"] == "home assistant answered 502" and deliveries["sentAt"] is None
    assert deliveries["nextTryAt"] is not None
    receiver.failing = False
    db = await asyncpg.connect(notifier.settings.database_url)
    try:
        await db.execute("UPDATE notifier_alert_deliveries SET next_try_at = now()")
    finally:
        await db.close()
    await eventually(lambda: receiver.received, timeout=70)


async def _deliveries(notifier, target):
    recent = (await notifier.client.get("/settings/integrations/alerts")).json()["recent"]
    found = [d for a in recent for d in a["deliveries"] if d["target"] == target and d["attempts"]]
    return found[0] if found else None


async def test_each_target_has_a_test_button_and_keeps_its_secrets(notifier, targets):
    ntfy, discord, _ = targets
    shown = await configure(notifier, targets)
    phone = shown["alertTargets"][0]
    assert phone["url"].startswith(f"{ntfy.base_url.split('://')[0]}://") and MASK in phone["url"]
    assert "chillproxy" not in phone["url"] and "tk_ntfy_token_00001" not in str(shown)
    assert discord.token not in str(shown)
    tested = await notifier.client.post("/settings/integrations/test-alert", json={"target": "phone"})
    assert tested.json() == {"ok": True} and ntfy.messages[-1]["title"] == "Chillproxy test alert"
    # the masks sent back keep what is stored; a new token for the ntfy topic is refused by ntfy
    again = await notifier.configure(alertTargets=[phone | {"token": "tk_wrong_token_00002"}])
    assert again["alertTargets"][0]["url"] == phone["url"]
    refused = (await notifier.client.post("/settings/integrations/test-alert", json={"target": "phone"})).json()
    assert refused == {"ok": False, "error": "phone answered 403 forbidden"}
    missing = await notifier.client.post("/settings/integrations/test-alert", json={"target": "nobody"})
    assert missing.status_code == 404
    # a masked URL is only kept for the same target: another name or type must give the URL again
    moved = await notifier.client.patch("/settings/integrations", json={"alertTargets": [phone | {"type": "discord"}]})
    assert moved.status_code == 422 and moved.json()["field"] == "alertTargets.0.url"
    twice = await notifier.client.patch("/settings/integrations", json={"alertTargets": [phone, phone]})
    assert twice.status_code == 422
    bad = await notifier.client.patch(
        "/settings/integrations", json={"alertTargets": [{"name": "x", "type": "ntfy", "url": "ftp://nope"}]}
    )
    assert bad.status_code == 422 and bad.json()["field"].startswith("alertTargets")


async def test_a_failed_download_and_a_media_server_that_keeps_failing_are_alerts(notifier, targets):
    ntfy, _, _ = targets
    await configure(notifier, targets)
    await notifier.enable_both(coalesce=0.1)
    failed = TorrentStatus(hash="f" * 40, name="Show.S01E01", state="error", category="tv", error="dead torrent")
    await publish(notifier.bus, TORRENT_STATUS, failed)
    await eventually(lambda: ntfy.messages, timeout=15)
    assert ntfy.messages[0]["title"] == "Download failed: Show.S01E01"
    assert "dead torrent" in ntfy.messages[0]["message"]

    notifier.jellyfin.down = True
    done = TorrentStatus(hash="e" * 40, name="x", state="completed", content_path="/dl/x", files=["/dl/x/x.mkv"])
    await publish(notifier.bus, TORRENT_STATUS, done)
    db = await asyncpg.connect(notifier.settings.database_url)
    try:
        for attempts in (1, 2):  # the back-off cut short: each retry due now
            await eventually(
                lambda n=attempts: db.fetchval(
                    "SELECT attempts >= $1 FROM notifier_refresh_queue WHERE server = 'jellyfin'", n
                ),
                timeout=15,
            )
            await db.execute("UPDATE notifier_refresh_queue SET next_try_at = now() WHERE server = 'jellyfin'")
        await eventually(lambda: any(m["title"] == "jellyfin cannot be told" for m in ntfy.messages), timeout=15)
        notifier.jellyfin.down = False
        await db.execute("UPDATE notifier_alert_subjects SET sent_at = now() - interval '1 hour'")
        await db.execute("UPDATE notifier_refresh_queue SET next_try_at = now() WHERE server = 'jellyfin'")
        await eventually(lambda: any(m["title"] == "jellyfin is told again" for m in ntfy.messages), timeout=30)
    finally:
        await db.close()
