"""TorBox's per-key add budget: every limit must allow a call, and the budget is one for every process."""

import asyncio
import uuid

from libs.bus import Bus
from libs.ratelimit import SharedWindowLimiter, fingerprint_key, wait_before
from tests.support.asgi import eventually


def test_every_window_must_allow_the_call():
    limits = ((3, 3600), (2, 60))
    assert wait_before(limits, [], 0) == 0
    assert wait_before(limits, [0], 1) == 0
    assert wait_before(limits, [0, 1], 2) == 58  # two in the last minute: the first leaves it at 60
    assert wait_before(limits, [0, 1], 61) == 0
    assert wait_before(limits, [0, 1, 61], 200) == 3400  # three in the hour: the one at 0 leaves at 3600
    assert wait_before(limits, [0, 1, 61], 3600.5) == 0


async def test_processes_sharing_a_key_spend_one_budget_and_never_more(nats_url):
    """Six processes (each its own NATS connection) racing for one key's adds: exactly the budget is
    granted, the rest told how long to wait; another key's budget is untouched; the key is never stored."""
    bucket = f"adds-{uuid.uuid4().hex[:8]}"
    buses = [await Bus.connect(nats_url, f"replica-{n}") for n in range(6)]
    try:
        limiters = [SharedWindowLimiter(bus, bucket, (10, 60.0), (60, 3600.0)) for bus in buses]
        waits = await asyncio.gather(*(limiters[n % 6].acquire("tb_secret_key_1") for n in range(30)))
        granted = [w for w in waits if w is None]
        assert len(granted) == 10
        # refused: until the minute's first call leaves (~60 s), or a second when it lost every race for the entry
        assert all(50 < w <= 60 or w == SharedWindowLimiter.CONTENDED_WAIT for w in waits if w is not None)
        assert await limiters[0].acquire("tb_secret_key_1") > 50  # and then, uncontended, the real wait
        assert await limiters[0].acquire("tb_secret_key_2") is None
        kv = await buses[0].js.key_value(bucket)
        keys = await kv.keys()
        assert sorted(keys) == sorted([fingerprint_key("tb_secret_key_1"), fingerprint_key("tb_secret_key_2")])
        for key in keys:
            assert b"tb_secret" not in (await kv.get(key)).value
    finally:
        for bus in buses:
            await bus.close()


async def test_while_nats_is_away_a_process_counts_on_and_tells_the_others_once_it_is_back(own_nats):
    """Adds go on while NATS is away, counted from the shared calls last seen; once NATS is back they are
    written into the shared entry, so the other processes count them too."""
    one, other = await Bus.connect(own_nats.url, "replica-1"), await Bus.connect(own_nats.url, "replica-2")
    limiters = [SharedWindowLimiter(bus, "adds", (4, 60.0)) for bus in (one, other)]
    try:
        assert await limiters[1].acquire("tb_key") is None
        assert await limiters[0].acquire("tb_key") is None  # two of four spent, both seen by the first
        own_nats.stop()
        await eventually(lambda: not one.connected, timeout=10)
        assert [await limiters[0].acquire("tb_key") for _ in range(2)] == [None, None]  # the last two
        assert await limiters[0].acquire("tb_key") > 50  # the four are spent, as far as it knows
        own_nats.start()
        await eventually(lambda: one.connected and other.connected, timeout=30)
        assert await limiters[0].acquire("tb_key") > 50  # still spent; and its two are shared now
        assert await limiters[1].acquire("tb_key") > 50  # the other counts all four
    finally:
        await one.close()
        await other.close()
