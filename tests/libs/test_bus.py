import asyncio
import uuid
from collections.abc import Sequence

import msgspec
import pytest

from libs.bus import (
    Answer,
    Bus,
    BusError,
    BusUnavailable,
    Consume,
    Consumer,
    HandlerError,
    Listen,
    Retry,
    ensure_streams,
    publish,
    subscribed,
)
from libs.bus.kv import KeyValueCache
from libs.errors import NotFound
from libs.schemas import (
    POOL_KEY_GET,
    BroadcastSubject,
    CacheInvalidation,
    EventSubject,
    PoolKeyReply,
    PoolKeyRequest,
    RequestSubject,
    StreamSpec,
    UsageEvent,
)
from tests.support.asgi import eventually


@pytest.fixture
async def bus(nats_url):
    bus = await Bus.connect(nats_url, "tests")
    yield bus
    await bus.close()


def unique_subject() -> tuple[EventSubject[UsageEvent], StreamSpec]:
    suffix = uuid.uuid4().hex[:8]
    subject = EventSubject(f"test.usage.{suffix}", UsageEvent, stream=f"TEST_{suffix}")
    return subject, StreamSpec(subject.stream, (subject.name,))


def echo_subject() -> RequestSubject[PoolKeyRequest, PoolKeyReply]:
    return RequestSubject(f"test.key.{uuid.uuid4().hex[:8]}", PoolKeyRequest, PoolKeyReply)


async def test_request_reply_round_trip(bus):
    subject = echo_subject()

    async def handler(request: PoolKeyRequest) -> PoolKeyReply:
        return PoolKeyReply(allowed=True, pool_key_id=request.user_id, device_count=3, message=request.action)

    await bus.serve(subject, handler)
    reply = await bus.request(subject, PoolKeyRequest(user_id="u1", device_id="d", action="play"))
    assert reply == PoolKeyReply(allowed=True, pool_key_id="u1", device_count=3, message="play")


async def test_handler_error_reaches_the_caller(bus):
    subject = echo_subject()

    async def handler(request: PoolKeyRequest) -> PoolKeyReply:
        raise HandlerError(404, "unknown_user", f"no user {request.user_id}")

    await bus.serve(subject, handler)
    with pytest.raises(BusError) as caught:
        await bus.request(subject, PoolKeyRequest(user_id="ghost", device_id="d", action="play"))
    assert (caught.value.code, caught.value.error, caught.value.message) == (404, "unknown_user", "no user ghost")


async def test_a_declared_edge_reads_the_parts_answers_refusals_by_the_table_and_is_undone(bus):
    """Handlers declared like routes get the parts start-up built; a domain refusal travels with the status the
    web would give it; on exit nothing is left subscribed or consuming."""
    asked, events = echo_subject(), unique_subject()
    told = BroadcastSubject(f"test.told.{uuid.uuid4().hex[:8]}", CacheInvalidation)
    await ensure_streams(bus, [events[1]])
    seen: dict[str, list] = {"told": [], "consumed": []}

    async def answer(state, request: PoolKeyRequest) -> PoolKeyReply:
        if request.user_id == "ghost":
            raise NotFound("no such user", field="userId")
        return PoolKeyReply(allowed=True, message=state.greeting)

    async def listen(state, message: CacheInvalidation) -> None:
        state.seen["told"].extend(message.user_ids)

    async def consume(state, batch: Sequence[UsageEvent]) -> None:
        state.seen["consumed"].extend(e.user_id for e in batch)

    handlers = [
        Answer(asked, answer),
        Listen(told, listen),
        Consume(subject=events[0], durable="edge-test", handler=consume, fetch_timeout=0.2),
    ]
    request = PoolKeyRequest(user_id="ann", device_id="d", action="play")
    async with subscribed(bus, handlers, {"greeting": "hello", "seen": seen}) as edge:
        assert (await bus.request(asked, request)).message == "hello"
        with pytest.raises(BusError) as refused:
            await bus.request(asked, PoolKeyRequest(user_id="ghost", device_id="d", action="play"))
        assert (refused.value.code, refused.value.error) == (404, "not_found")
        await bus.broadcast(told, CacheInvalidation(user_ids=["u1"]))
        await publish(bus, events[0], UsageEvent(user_id="u2", pool_key_id="k", action="play"))
        await eventually(lambda: seen == {"told": ["u1"], "consumed": ["u2"]})
        assert list(edge.consumers) == ["edge-test"]
    with pytest.raises(BusUnavailable):
        await bus.request(asked, request, timeout=0.3)
    await publish(bus, events[0], UsageEvent(user_id="u3", pool_key_id="k", action="play"))
    await asyncio.sleep(0.5)
    assert seen["consumed"] == ["u2"]  # stopped: the durable keeps u3 for the next start
    assert (await bus.js.consumer_info(events[1].name, "edge-test")).num_pending == 1


async def test_a_crashing_handler_answers_500_without_details(bus):
    subject = echo_subject()

    async def handler(request: PoolKeyRequest) -> PoolKeyReply:
        raise RuntimeError("secret internals")

    await bus.serve(subject, handler)
    with pytest.raises(BusError) as caught:
        await bus.request(subject, PoolKeyRequest(user_id="u", device_id="d", action="play"))
    assert caught.value.code == 500 and "secret internals" not in caught.value.message


@pytest.mark.parametrize(
    ("payload", "code"),
    [(b"{not json", 400), (b'{"userId": 1, "deviceId": "d", "action": "x"}', 422), (b"{}", 422)],
)
async def test_bad_requests_are_refused_with_a_reason(bus, payload, code):
    subject = echo_subject()
    called = []

    async def handler(request: PoolKeyRequest) -> PoolKeyReply:
        called.append(request)
        return PoolKeyReply(allowed=True)

    await bus.serve(subject, handler)
    msg = await bus.nc.request(subject.name, payload, timeout=2)
    assert msg.headers["Chillproxy-Error"] == str(code)
    body = msgspec.json.decode(msg.data)
    assert body["error"] in ("malformed_message", "invalid_message") and body["message"]
    assert called == []


async def test_nobody_listening_is_unavailable(bus):
    with pytest.raises(BusUnavailable):
        await bus.request(echo_subject(), PoolKeyRequest(user_id="u", device_id="d", action="x"), timeout=0.5)


async def test_a_slow_responder_times_out(bus):
    subject = echo_subject()

    async def handler(request: PoolKeyRequest) -> PoolKeyReply:
        await asyncio.sleep(1)
        return PoolKeyReply(allowed=True)

    await bus.serve(subject, handler)
    with pytest.raises(BusUnavailable):
        await bus.request(subject, PoolKeyRequest(user_id="u", device_id="d", action="x"), timeout=0.2)


async def test_trace_context_travels_in_headers(bus, spans):
    subject = echo_subject()
    await bus.serve(subject, lambda r: asyncio.sleep(0, PoolKeyReply(allowed=True)))
    await bus.request(subject, PoolKeyRequest(user_id="u", device_id="d", action="x"))
    sent = next(s for s in spans.get_finished_spans() if s.name == f"send {subject.name}")
    handled = next(s for s in spans.get_finished_spans() if s.name == f"process {subject.name}")
    assert handled.context.trace_id == sent.context.trace_id
    assert handled.parent.span_id == sent.context.span_id


async def test_streams_are_declared_idempotently(bus):
    _, spec = unique_subject()
    await ensure_streams(bus, [spec])
    await ensure_streams(bus, [spec])
    changed = StreamSpec(spec.name, spec.subjects, max_age_seconds=3600)
    await ensure_streams(bus, [changed])
    info = await bus.js.stream_info(spec.name)
    assert info.config.max_age == 3600 and info.config.subjects == list(spec.subjects)


async def test_publish_is_deduplicated_by_event_id(bus):
    subject, spec = unique_subject()
    await ensure_streams(bus, [spec])
    event = UsageEvent(user_id="u", pool_key_id="k", action="play")
    await publish(bus, subject, event)
    await publish(bus, subject, event)
    await publish(bus, subject, UsageEvent(user_id="u", pool_key_id="k", action="play"))
    assert (await bus.js.stream_info(spec.name)).state.messages == 2


async def test_consumer_acks_batches_and_survives_a_restart(bus):
    subject, spec = unique_subject()
    await ensure_streams(bus, [spec])
    seen: list[str] = []

    async def handler(events: Sequence[UsageEvent]) -> None:
        seen.extend(e.id for e in events)

    sent = [UsageEvent(user_id=str(i), pool_key_id="k", action="play") for i in range(300)]
    consumer = Consumer(bus, subject, "test-durable", handler, batch=50, fetch_timeout=0.2)
    consumer.start()
    for event in sent[:150]:
        await publish(bus, subject, event)
    await eventually(lambda: len(seen) >= 100)
    await consumer.stop()
    for event in sent[150:]:
        await publish(bus, subject, event)  # published while nobody consumes
    restarted = Consumer(bus, subject, "test-durable", handler, batch=50, fetch_timeout=0.2)
    restarted.start()
    await eventually(lambda: len(set(seen)) == 300)
    await asyncio.sleep(0.5)
    await restarted.stop()
    assert set(seen) == {e.id for e in sent}
    # what was acknowledged is never delivered again
    info = await bus.js.consumer_info(spec.name, "test-durable")
    assert info.num_pending == 0 and info.num_ack_pending == 0


async def test_retry_redelivers_and_undecodable_events_are_terminated(bus):
    subject, spec = unique_subject()
    await ensure_streams(bus, [spec])
    attempts: list[int] = []
    done: list[str] = []

    async def handler(events: Sequence[UsageEvent]) -> None:
        attempts.append(len(events))
        if len(attempts) == 1:
            raise Retry(delay=0.1)
        done.extend(e.user_id for e in events)

    await bus.js.publish(subject.name, b"not an event", stream=spec.name)
    await publish(bus, subject, UsageEvent(user_id="kept", pool_key_id="k", action="play"))
    consumer = Consumer(bus, subject, "retrying", handler, batch=10, fetch_timeout=0.2)
    consumer.start()
    await eventually(lambda: done == ["kept"])
    await consumer.stop()
    info = await bus.js.consumer_info(spec.name, "retrying")
    assert info.num_pending == 0 and info.num_ack_pending == 0 and info.num_redelivered == 0
    assert len(attempts) == 2


async def test_the_real_pool_key_subject_works_end_to_end(bus):
    async def handler(request: PoolKeyRequest) -> PoolKeyReply:
        return PoolKeyReply(allowed=False, message=f"unknown user {request.user_id}")

    sub = await bus.serve(POOL_KEY_GET, handler, queue=f"q{uuid.uuid4().hex}")
    try:
        reply = await bus.request(POOL_KEY_GET, PoolKeyRequest(user_id="x", device_id="d", action="stream"))
        assert reply.allowed is False and "unknown user x" in reply.message
    finally:
        await sub.unsubscribe()


async def test_while_nats_is_away_asks_fail_at_once_and_the_cache_misses(own_nats):
    """A Stremio request must not wait out every NATS timeout in turn while NATS restarts."""
    bus = await Bus.connect(own_nats.url, "tests")
    cache = KeyValueCache(bus, "TEST_AWAY", 60, PoolKeyReply)
    subject, spec = unique_subject()
    await ensure_streams(bus, [spec])
    await cache.put("k", PoolKeyReply(allowed=True))
    assert await cache.get("k") == PoolKeyReply(allowed=True)
    own_nats.kill()
    try:
        await eventually(lambda: not bus.connected)
        async with asyncio.timeout(5):  # each of these alone would wait 30 s if it were sent
            with pytest.raises(BusUnavailable):
                await bus.request(
                    echo_subject(), PoolKeyRequest(user_id="u", device_id="d", action="stream"), timeout=30
                )
            with pytest.raises(BusUnavailable):
                await publish(bus, subject, UsageEvent(user_id="u", pool_key_id="k", action="play"), timeout=30)
            assert await cache.get("k") is None
            await cache.put("k", PoolKeyReply(allowed=False))
        own_nats.start()
        await eventually(lambda: bus.connected, timeout=30)
        assert await cache.get("k") == PoolKeyReply(allowed=True)  # the write while away was skipped
    finally:
        await bus.close()
