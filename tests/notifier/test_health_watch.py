"""A service unhealthy for a minute, or gone silent, is an alert (and its recovery); read from the
heartbeats every process writes to NATS KV."""

from datetime import UTC, datetime, timedelta

from libs.heartbeat import Heartbeat, health_store
from services.notifier.health_watch import verdicts
from tests.fakes.alert_targets import FakeNtfy
from tests.support.asgi import eventually, serving_fake

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def beat(service, ok=True, since=None, failing=(), instance="a1"):
    return Heartbeat(service=service, instance=instance, ok=ok, failing=list(failing), unhealthy_since=since, at=NOW)


def test_a_minute_unhealthy_or_silent_is_failing():
    sick = beat("qbt-shim", ok=False, since=NOW - timedelta(seconds=90), failing=["database"])
    brief = beat("stream-proxy", ok=False, since=NOW - timedelta(seconds=20), failing=["nats"])
    found = verdicts([sick, brief, beat("stream-proxy", instance="b2"), beat("notifier")], {"indexer-stats"}, NOW)
    assert found["qbt-shim"] == ("failing", "/health has answered 503 for 2 min: database failing")
    assert "stream-proxy" not in found  # sick for 20 s only, and not all of it healthy: nothing to say yet
    assert found["notifier"][0] == "recovered"
    assert found["indexer-stats"][0] == "failing" and "no process" in found["indexer-stats"][1]


async def test_the_watch_tells_of_a_sick_service_and_of_its_recovery(notifier):
    ntfy = FakeNtfy()
    async with serving_fake(ntfy):
        await notifier.configure(
            alertTargets=[{"name": "phone", "type": "ntfy", "url": f"{ntfy.base_url}/chill"}], alertQuietMinutes=0
        )
        store = health_store(notifier.bus)
        since = datetime.now(UTC) - timedelta(minutes=3)
        sick = Heartbeat(service="qbt-shim", instance="t1", ok=False, failing=["database"], unhealthy_since=since,
                         at=datetime.now(UTC))  # fmt: skip
        await store.put("qbt-shim.t1", sick)
        watch = notifier.app.state.notifier.health_watch
        await watch.look()
        await eventually(lambda: [m for m in ntfy.messages if m["title"] == "qbt-shim is unhealthy"], timeout=15)
        await watch.look()  # still sick: nothing more
        healthy = Heartbeat(service="qbt-shim", instance="t1", ok=True, failing=[], unhealthy_since=None,
                            at=datetime.now(UTC))  # fmt: skip
        await store.put("qbt-shim.t1", healthy)
        await watch.look()
        await eventually(lambda: [m for m in ntfy.messages if m["title"] == "qbt-shim is healthy again"], timeout=15)
        await store.delete("qbt-shim.t1")
        await watch.look()
        gone = await eventually(lambda: [m for m in ntfy.messages if m["title"] == "qbt-shim is unhealthy"][1:])
        assert "no process of it has reported" in gone[0]["message"]
        assert [m["title"] for m in ntfy.messages].count("qbt-shim is unhealthy") == 2
        # the notifier's own heartbeat is there too, and healthy
        assert any(b.service == "notifier" and b.ok for b in (await store.items()).values())
