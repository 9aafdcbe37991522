"""pool.stream.start / pool.stream.end: the concurrency cap, TTL expiry, and a counter that stays true."""

import asyncio
import uuid

import pytest

from libs.bus import BusError
from libs.schemas import POOL_STREAM_END, POOL_STREAM_START, StreamEnd, StreamStart


async def start(pool, user, key_id, device="tv"):
    return await pool.bus.request(
        POOL_STREAM_START, StreamStart(user_id=user, pool_key_id=key_id, device_id=device, hash="ab" * 20), timeout=30
    )


async def end(pool, session_id):
    return await pool.bus.request(POOL_STREAM_END, StreamEnd(session_id=session_id), timeout=30)


async def open_sessions(pool, key_id) -> tuple[int, int]:
    row = await pool.db.fetchrow(
        """
        SELECT current_concurrent_streams AS counter,
               (SELECT count(*) FROM torbox_concurrency_log WHERE pool_key_id = $1 AND stream_ended_at IS NULL) AS open
        FROM torbox_pool WHERE id = $1
        """,
        uuid.UUID(key_id),
    )
    return row["counter"], row["open"]


async def test_sessions_open_and_close_and_the_cap_holds_under_concurrency(pool):
    key = await pool.add_key(maxConcurrentStreams=5)
    users = [await pool.add_user() for _ in range(4)]
    for user in users:
        assert (await pool.get_key_nats(user)).allowed
    replies = await asyncio.gather(*(start(pool, u, key["id"], f"d{n}") for u in users for n in range(3)))
    allowed = [r for r in replies if r.allowed]
    assert len(allowed) == 5
    assert all("all 5 streams of this key are in use" in r.message for r in replies if not r.allowed)
    assert await open_sessions(pool, key["id"]) == (5, 5)

    closed = await asyncio.gather(*(end(pool, r.session_id) for r in allowed[:3]))
    assert all(c.closed for c in closed)
    assert not (await end(pool, allowed[0].session_id)).closed  # closing twice changes nothing
    assert await open_sessions(pool, key["id"]) == (2, 2)
    assert (await start(pool, users[0], key["id"])).allowed
    assert await open_sessions(pool, key["id"]) == (3, 3)


async def test_a_stream_needs_the_users_own_key(pool):
    mine = await pool.add_key(priority=2)
    other = await pool.add_key(priority=1)
    user = await pool.add_user()
    await pool.get_key_nats(user)
    refused = await start(pool, user, other["id"])
    assert not refused.allowed and "not assigned to you" in refused.message
    assert (await start(pool, user, mine["id"])).allowed
    assert "unknown pool key" in (await start(pool, user, str(uuid.uuid4()))).message


async def test_sessions_never_ended_are_closed_after_the_ttl(pool):
    key = await pool.add_key()
    user = await pool.add_user()
    await pool.get_key_nats(user)
    old = await start(pool, user, key["id"])
    fresh = await start(pool, user, key["id"], "phone")
    await pool.db.execute(
        "UPDATE torbox_concurrency_log SET stream_started_at = now() - interval '5 hours' WHERE id = $1",
        uuid.UUID(old.session_id),
    )
    # a counter that drifted (a crash between statements elsewhere) is put right by the same sweep
    await pool.db.execute("UPDATE torbox_pool SET current_concurrent_streams = 7")
    from services.pool_allocator.sessions import StreamSessions

    assert await StreamSessions(pool.db, ttl_minutes=180).sweep() == 1
    assert await open_sessions(pool, key["id"]) == (1, 1)
    reason = await pool.db.fetchval(
        "SELECT end_reason FROM torbox_concurrency_log WHERE id = $1", uuid.UUID(old.session_id)
    )
    assert reason == "expired" and fresh.allowed


@pytest.mark.parametrize("body", [b"{}", b'{"sessionId": "nope"}'])
async def test_bad_session_requests_get_error_replies(pool, body):
    msg = await pool.bus.nc.request("pool.stream.end", body, timeout=5)
    assert msg.headers["Chillproxy-Error"] in ("400", "422")


async def test_bad_ids_are_400(pool):
    with pytest.raises(BusError) as caught:
        await start(pool, "x", "y")
    assert caught.value.code == 400
