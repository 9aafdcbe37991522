"""A 3-node NATS cluster (the same wheel): every stream and bucket kept on all three, so a node lost mid-way
loses no event, no request and no spent budget, and the node comes back and catches up."""

import asyncio
from collections.abc import Sequence

import nats.errors
import pytest

from libs.bus import Bus, BusError, BusUnavailable, Consumer, ensure_streams, publish
from libs.embedded import NatsCluster
from libs.ratelimit import SharedWindowLimiter
from libs.schemas import POOL_KEY_GET, POOL_USAGE, STREAMS, PoolKeyReply, PoolKeyRequest, UsageEvent
from tests.support.asgi import eventually


async def accepted(bus: Bus, event: UsageEvent) -> bool:
    try:
        await publish(bus, POOL_USAGE, event)
        return True
    except (nats.errors.Error, BusUnavailable):
        return False


async def asked(bus: Bus, request: PoolKeyRequest) -> PoolKeyReply | None:
    try:
        return await bus.request(POOL_KEY_GET, request, 2)
    except (BusUnavailable, BusError):
        return None


async def bucket_answers(bus: Bus, bucket: str) -> bool:
    try:
        return bool(await (await bus.js.key_value(bucket)).keys())
    except (nats.errors.Error, TimeoutError):
        return False


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    nodes = NatsCluster(tmp_path_factory.mktemp("nats-cluster")).start()
    yield nodes
    nodes.stop()


async def test_streams_and_buckets_live_on_every_node_and_outlive_one(cluster):
    bus = await Bus.connect(cluster.url, "replica-a", replicas=3)
    other = await Bus.connect(cluster.url, "replica-b", replicas=3)
    seen: list[str] = []

    async def store(events: Sequence[UsageEvent]) -> None:
        seen.extend(e.user_id for e in events)

    async def answer(request: PoolKeyRequest) -> PoolKeyReply:
        return PoolKeyReply(allowed=True, message=request.user_id)

    try:
        await ensure_streams(bus)
        info = await bus.js.stream_info(STREAMS["POOL_USAGE"].name)
        assert info.config.num_replicas == 3 and len(info.cluster.replicas) == 2
        limiter = SharedWindowLimiter(bus, "adds-cluster", (3, 60.0))
        assert [await limiter.acquire("tb_key") for _ in range(2)] == [None, None]
        kv = await bus.js.key_value("adds-cluster")
        assert (await bus.js.stream_info("KV_adds-cluster")).config.num_replicas == 3 and kv

        await other.serve(POOL_KEY_GET, answer)
        consumer = Consumer(other, POOL_USAGE, "cluster-usage", store, batch=20, fetch_timeout=0.3)
        consumer.start()
        for n in range(20):
            await publish(bus, POOL_USAGE, UsageEvent(user_id=f"before-{n}", pool_key_id="k", action="play"))

        cluster.nodes[0].kill()  # one node of three lost mid-way
        for n in range(20):  # as the services' outboxes do: until JetStream takes it (a new leader, a new node)
            event = UsageEvent(user_id=f"after-{n}", pool_key_id="k", action="play")
            await eventually(lambda event=event: accepted(bus, event), timeout=30, interval=0.2)
        request = PoolKeyRequest(user_id="u1", device_id="d", action="play")
        reply = await eventually(lambda: asked(bus, request), timeout=30, interval=0.2)
        assert reply.message == "u1"
        # the bucket's own stream may still be choosing a leader after the others: read once it answers
        await eventually(lambda: bucket_answers(other, "adds-cluster"), timeout=30, interval=0.2)
        fresh = SharedWindowLimiter(other, "adds-cluster", (3, 60.0))  # knows nothing but what the bucket kept
        assert await fresh.acquire("tb_key") is None  # the third of three: the two spent survived the node
        assert await fresh.acquire("tb_key") > 0
        await eventually(lambda: len(set(seen)) == 40, timeout=30)
        await consumer.stop()
        assert set(seen) == {f"{when}-{n}" for when in ("before", "after") for n in range(20)}

        await asyncio.to_thread(cluster.restart, cluster.nodes[0])  # back, and caught up

        async def current() -> bool:
            info = await bus.js.stream_info(STREAMS["POOL_USAGE"].name)
            return all(peer.current for peer in info.cluster.replicas) and len(info.cluster.replicas) == 2

        await eventually(current, timeout=30)
    finally:
        await bus.close()
        await other.close()
