"""Usage records: HTTP and NATS, durable, batched, stored exactly once even across a consumer restart."""

import asyncio
import uuid

from libs.bus import Consumer, publish
from libs.schemas import POOL_USAGE, UsageEvent
from tests.support.asgi import eventually


async def test_every_event_is_stored_exactly_once_across_a_restart(pool):
    service = pool.app.state.pool
    user, key = str(uuid.uuid4()), str(uuid.uuid4())
    events = [UsageEvent(user_id=user, pool_key_id=key, action="play", bytes=n) for n in range(1200)]
    # a consumer of our own on the same durable, so we can stop it mid-stream
    running = [c for c in asyncio.all_tasks() if c.get_name().startswith("consume pool.usage")]
    assert running, "the service consumes pool.usage"
    consumer = Consumer(pool.bus, POOL_USAGE, "pool-allocator-usage", service.usage.store, batch=100, fetch_timeout=0.2)
    consumer.start()
    await asyncio.gather(*(publish(pool.bus, POOL_USAGE, e) for e in events[:600]))
    await eventually(lambda: _count(pool), timeout=20)
    await consumer.stop()
    await asyncio.gather(*(publish(pool.bus, POOL_USAGE, e) for e in events[600:]))
    await asyncio.gather(*(publish(pool.bus, POOL_USAGE, e) for e in events[:50]))  # re-sent: deduplicated
    consumer.start()
    await eventually(lambda: _has(pool, 1200), timeout=30)
    await consumer.stop()
    await asyncio.sleep(0.5)
    assert await _count(pool) == 1200
    assert await pool.db.fetchval("SELECT sum(bytes) FROM torbox_usage_logs") == sum(range(1200))
    # a redelivered batch (the consumer died before its ack) changes nothing
    await service.usage.store(events[:100])
    assert await _count(pool) == 1200


async def test_log_usage_over_http_is_202_and_stored(pool):
    body = {
        "userId": str(uuid.uuid4()),
        "poolKeyId": str(uuid.uuid4()),
        "action": "play",
        "cached": True,
        "bytes": 1234,
        "imdbId": "tt0133093",
        "streamType": "movie",
        "hash": "a" * 40,
    }
    response = await pool.http.post(
        "/api/v1/internal/pool/log-usage", json=body, headers={"X-Internal-Api-Key": pool.settings.internal_api_key}
    )
    assert response.status_code == 202
    await eventually(lambda: _has(pool, 1))
    row = await pool.db.fetchrow("SELECT * FROM torbox_usage_logs")
    assert row["was_cached"] and row["bytes"] == 1234 and row["imdb_id"] == "tt0133093"
    summary = (await pool.http.get("/pool/usage")).json()
    assert summary["byUser"][0] | {"firstAt": None, "lastAt": None} == {
        "id": body["userId"],
        "events": 1,
        "streams": 1,
        "cached": 1,
        "bytes": 1234,
        "firstAt": None,
        "lastAt": None,
    }
    assert summary["byKey"][0]["id"] == body["poolKeyId"]


async def test_log_usage_validates(pool):
    headers = {"X-Internal-Api-Key": pool.settings.internal_api_key}
    bad_id = await pool.http.post(
        "/api/v1/internal/pool/log-usage",
        json={"userId": "x", "poolKeyId": str(uuid.uuid4()), "action": "play"},
        headers=headers,
    )
    assert bad_id.status_code == 400
    missing = await pool.http.post(
        "/api/v1/internal/pool/log-usage", json={"userId": str(uuid.uuid4())}, headers=headers
    )
    assert missing.status_code == 422 and missing.json()["field"] in ("poolKeyId", "action")
    wrong_type = await pool.http.post(
        "/api/v1/internal/pool/log-usage",
        json={"userId": str(uuid.uuid4()), "poolKeyId": str(uuid.uuid4()), "action": "play", "bytes": "many"},
        headers=headers,
    )
    assert wrong_type.status_code == 422 and wrong_type.json()["field"] == "bytes"


async def test_usage_is_written_directly_when_nats_cannot_take_it(pool):
    service = pool.app.state.pool
    event = UsageEvent(user_id=str(uuid.uuid4()), pool_key_id=str(uuid.uuid4()), action="play")
    bus, service.usage.bus = service.usage.bus, None  # as if NATS were gone
    try:
        await service.usage.record(event)
    finally:
        service.usage.bus = bus
    assert await _count(pool) == 1


async def _count(pool) -> int:
    return await pool.db.fetchval("SELECT count(*) FROM torbox_usage_logs")


async def _has(pool, n: int) -> bool:
    return await _count(pool) >= n


async def test_values_the_table_cannot_hold_are_refused_at_the_edge(pool):
    headers = {"X-Internal-Api-Key": pool.settings.internal_api_key}
    base = {"userId": str(uuid.uuid4()), "poolKeyId": str(uuid.uuid4()), "action": "play"}
    for extra, field in (
        ({"streamType": "s" * 40}, "streamType"),
        ({"bytes": 2**63}, "bytes"),
        ({"bytes": -1}, "bytes"),
        ({"deviceId": "phone\u0000"}, None),
    ):
        response = await pool.http.post("/api/v1/internal/pool/log-usage", json=base | extra, headers=headers)
        assert response.status_code == 422, (extra, response.text)
        assert response.json().get("field") == field
    await asyncio.sleep(0.5)
    assert await _count(pool) == 0


async def test_an_event_the_database_refuses_is_terminated_and_the_others_stored(pool, log_lines):
    """A record that passed no edge of ours (sent to NATS by anyone) and that PostgreSQL refuses: said once in
    the log and dropped, while the records of its batch are stored — not redelivered every 2 s for ever."""
    user, key = str(uuid.uuid4()), str(uuid.uuid4())
    good = [UsageEvent(user_id=user, pool_key_id=key, action="play", bytes=n) for n in range(3)]
    poison = UsageEvent(user_id=user, pool_key_id=key, action="play", device_id="tv\u0000")
    for event in (good[0], poison, *good[1:]):
        await publish(pool.bus, POOL_USAGE, event)
    await eventually(lambda: _has(pool, 3), timeout=15)

    async def terminated():
        return [line for line in log_lines() if line["event"] == "event terminated: it cannot be handled"] or None

    (line,) = await eventually(terminated, timeout=15)
    assert line["event_id"] == poison.id and line["exception"][0]["exc_type"] == "CharacterNotInRepertoireError"
    info = await pool.bus.js.consumer_info("POOL_USAGE", "pool-allocator-usage")
    assert info.num_ack_pending == 0 and info.num_pending == 0
    await asyncio.sleep(2.5)  # no redelivery: still one line
    assert len(await terminated()) == 1 and await _count(pool) == 3
