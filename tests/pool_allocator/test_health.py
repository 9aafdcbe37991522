"""Key health: checks against the fake TorBox, reported failures, and the moves they cause."""

import uuid

import pytest

from libs.bus import publish
from libs.schemas import POOL_KEY_FAILURE, KeyFailure
from services.pool_allocator.config import PoolConfig
from services.pool_allocator.health import Verdict, judge, key_alert
from services.pool_allocator.repository.health import KeyHealth, Observation
from tests.support.alerts import raised
from tests.support.asgi import eventually

CONFIG = PoolConfig()
OK = Observation(uuid.uuid4(), "health_check", True, 200, 50)


def failure(kind="server_error", status=500):
    return Observation(OK.pool_key_id, "health_check", False, status, None, kind, "x")


@pytest.mark.parametrize(
    ("current", "consecutive", "observation", "requests", "failures", "expected"),
    [
        ("healthy", 0, OK, 10, 0, "healthy"),
        ("failing", 5, OK, 10, 1, "healthy"),  # a success clears it
        ("failing", 5, OK, 10, 5, "degraded"),  # …unless the day's failure rate is high
        ("healthy", 0, failure(), 10, 1, "healthy"),  # one failure is not enough
        ("healthy", 2, failure(), 10, 3, "failing"),  # 3rd in a row: failing wins over degraded
        ("healthy", 0, failure("unauthorized", 401), 1, 1, "failing"),  # 401: at once
        ("degraded", 0, failure("forbidden", 403), 1, 1, "failing"),
        ("healthy", 0, failure(), 4, 4, "healthy"),  # too few calls to judge a rate
        ("healthy", 0, failure(), 10, 3, "degraded"),  # 30 % > 20 %
        ("disabled", 0, OK, 10, 0, "disabled"),  # only an admin changes it
    ],
)
def test_status_transitions(current, consecutive, observation, requests, failures, expected):
    assert judge(current, consecutive, observation, requests, failures, CONFIG).status == expected


async def status_of(pool, key) -> str:
    return await pool.db.fetchval("SELECT status FROM torbox_pool WHERE id = $1", uuid.UUID(key["id"]))


async def test_checks_write_history_and_a_401_fails_the_key_at_once(pool, fake_torbox):
    good = await pool.add_key()
    revoked = await pool.add_key()
    fake_torbox.add_account(good["rawKey"])  # the revoked key is unknown to TorBox: 401 BAD_TOKEN
    monitor = pool.app.state.pool.health
    verdicts = await monitor.check_all()
    assert {str(k): v.status for k, v in verdicts.items()} == {good["id"]: "healthy", revoked["id"]: "failing"}
    rows = await pool.db.fetch(
        "SELECT pool_key_id, was_successful, http_status, error_type FROM torbox_pool_health ORDER BY timestamp"
    )
    assert {(str(r["pool_key_id"]), r["was_successful"], r["http_status"], r["error_type"]) for r in rows} == {
        (good["id"], True, 200, None),
        (revoked["id"], False, 401, "unauthorized"),
    }
    # the key itself never reaches the health history
    assert revoked["rawKey"] not in str([dict(r) for r in await pool.db.fetch("SELECT * FROM torbox_pool_health")])


async def test_three_failures_in_a_row_then_recovery(pool, fake_torbox):
    key = await pool.add_key()
    fake_torbox.add_account(key["rawKey"])
    fake_torbox.failing[key["rawKey"]] = 502
    monitor = pool.app.state.pool.health
    for expected in ("healthy", "healthy", "failing"):
        await monitor.check_all()
        assert await status_of(pool, key) == expected
    del fake_torbox.failing[key["rawKey"]]
    await monitor.check_all()
    # a success clears the failures, but 3 of 4 calls failed today: degraded until the rate falls
    row = await pool.db.fetchrow("SELECT status, consecutive_failures FROM torbox_pool")
    assert row["consecutive_failures"] == 0 and row["status"] in ("healthy", "degraded")


async def test_users_on_a_failing_key_are_moved_at_their_next_request(pool, fake_torbox):
    first = await pool.add_key(priority=2)
    second = await pool.add_key(priority=1)
    fake_torbox.add_account(second["rawKey"])  # the first key was revoked at TorBox
    user = await pool.add_user()
    assert (await pool.get_key_nats(user)).pool_key_id == first["id"]
    await pool.app.state.pool.health.check_all()
    moved = await pool.get_key_nats(user)
    assert moved.pool_key_id == second["id"] and moved.pool_key == second["rawKey"]


async def test_reported_failures_count_and_are_counted_once(pool, fake_torbox):
    key = await pool.add_key()
    reports = [KeyFailure(pool_key_id=key["id"], status_code=500, kind="server_error") for _ in range(3)]
    for report in reports:
        await publish(pool.bus, POOL_KEY_FAILURE, report)
    await publish(pool.bus, POOL_KEY_FAILURE, reports[0])  # a duplicate publish is dropped by JetStream
    await eventually(lambda: _status_is(pool, key, "failing"))
    count = await pool.db.fetchval("SELECT count(*) FROM torbox_pool_health WHERE check_type = 'reported'")
    assert count == 3
    # the same report handled again (a redelivery) changes nothing
    await pool.app.state.pool.health.on_reports([reports[1]])
    assert await pool.db.fetchval("SELECT count(*) FROM torbox_pool_health") == 3


async def test_a_bad_report_is_dropped_not_retried(pool):
    key = await pool.add_key()
    await publish(pool.bus, POOL_KEY_FAILURE, KeyFailure(pool_key_id="not-a-uuid"))
    await pool.bus.js.publish("pool.key.failure", b"garbage", stream="POOL_KEY_FAILURE")
    await publish(pool.bus, POOL_KEY_FAILURE, KeyFailure(pool_key_id=key["id"], kind="unauthorized", status_code=401))
    await eventually(lambda: _status_is(pool, key, "failing"))
    info = await pool.bus.js.consumer_info("POOL_KEY_FAILURE", "pool-allocator-key-failures")
    assert info.num_ack_pending == 0 and info.num_pending == 0


async def test_an_unreachable_torbox_counts_as_a_failure(pool, fake_torbox):
    key = await pool.add_key()
    fake_torbox.add_account(key["rawKey"])
    fake_torbox.down = True
    verdicts = await pool.app.state.pool.health.check_all()
    assert verdicts[uuid.UUID(key["id"])].consecutive_failures == 1


async def _status_is(pool, key, status) -> bool:
    return await status_of(pool, key) == status


async def test_a_key_failing_and_recovering_raises_alerts_once_each(pool, fake_torbox):
    key = await pool.add_key(label="household")
    fake_torbox.add_account(key["rawKey"])
    fake_torbox.failing[key["rawKey"]] = 401
    monitor = pool.app.state.pool.health
    subject = f"pool-key:{key['id']}"
    for _ in range(3):  # failing at the first 401; still failing after: one alert
        await monitor.check_all()
    del fake_torbox.failing[key["rawKey"]]
    await monitor.check_all()
    await monitor.check_all()
    found = await raised(pool.bus, subject, 2)
    assert [(a.state, a.title) for a in found] == [
        ("failing", "Pool key 'household' is failing"),
        ("recovered", "Pool key 'household' works again"),
    ]
    assert key["rawKey"] not in str(found) and "401" in found[0].message


def test_only_entering_or_leaving_failing_is_an_alert():
    key_id = uuid.uuid4()
    health = KeyHealth

    def verdict(status):
        return Verdict(status, "why", 0)

    assert key_alert(key_id, health("healthy", 0), verdict("degraded")) is None
    assert key_alert(key_id, health("failing", 3), verdict("failing")) is None
    assert key_alert(key_id, health("disabled", 0), verdict("disabled")) is None
    assert key_alert(key_id, health("degraded", 0), verdict("failing")).state == "failing"
    recovered = key_alert(key_id, health("failing", 3), verdict("degraded"))
    assert recovered.state == "recovered" and recovered.subject == f"pool-key:{key_id}"
