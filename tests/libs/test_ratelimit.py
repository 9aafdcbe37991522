"""TorBox's per-key budgets: every limit must allow a call, and each budget is one for every process."""

import asyncio
import uuid

import pytest

from libs.bus import Bus
from libs.http import http_client
from libs.ratelimit import SharedWindowLimiter, fingerprint_key, room_for, wait_before
from libs.torbox import TorBoxClient, TorBoxError
from tests.fakes.torbox import FakeTorBox
from tests.support.asgi import eventually, serving_fake


def test_every_window_must_allow_the_call():
    limits = ((3, 3600), (2, 60))
    assert wait_before(limits, [], 0) == 0
    assert wait_before(limits, [0], 1) == 0
    assert wait_before(limits, [0, 1], 2) == 58  # two in the last minute: the first leaves it at 60
    assert wait_before(limits, [0, 1], 61) == 0
    assert wait_before(limits, [0, 1, 61], 200) == 3400  # three in the hour: the one at 0 leaves at 3600
    assert wait_before(limits, [0, 1, 61], 3600.5) == 0
    assert room_for(limits, [0, 1, 61], 100) == 0  # the hour's third call is spent
    assert room_for(limits, [0, 61], 100) == 1
    assert room_for(limits, [0, 0, 0], 4000) == 2


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


async def test_a_batch_is_bought_with_one_write_and_lapses_unused(nats_url):
    """Ten calls bought at once serve the next nine without a round trip; calls left when the hold ends are
    lost to that process, and are still counted for everyone."""
    bucket = f"requests-{uuid.uuid4().hex[:8]}"
    buses = [await Bus.connect(nats_url, f"replica-{n}") for n in range(2)]
    try:
        one, other = (SharedWindowLimiter(bus, bucket, (25, 60.0), batch=10, hold=0.5) for bus in buses)
        assert [await one.acquire("tb_key", "torrents/mylist") for _ in range(10)] == [None] * 10
        kv = await buses[0].js.key_value(bucket)
        name = f"{fingerprint_key('tb_key')}.torrents/mylist"
        entry = await kv.get(name)
        assert entry.revision == 1 and len(entry.value.split(b",")) == 10  # one write for the ten
        assert await one.acquire("tb_key", "torrents/mylist") is None  # the next ten
        assert await other.acquire("tb_key", "torrents/mylist") is None  # the last five, for the other
        await asyncio.sleep(0.6)  # the other's four left lapse: 25 are counted, 12 used
        assert await one.acquire("tb_key", "torrents/mylist") > 50
        assert await other.acquire("tb_key", "torrents/mylist") > 50
        assert await one.acquire("tb_key", "torrents/checkcached") is None  # each endpoint its own budget
    finally:
        for bus in buses:
            await bus.close()


async def test_torbox_requests_keep_the_keys_rate_across_processes(nats_url):
    """Two processes' clients sharing one key ask TorBox (20 a minute here) sixty times at once: TorBox sees
    at most its limit and never answers 429; the rest are refused here as TorBox would refuse them."""
    fake = FakeTorBox(general_limit_per_minute=20)
    fake.add_account("tb_key")
    bucket = f"requests-{uuid.uuid4().hex[:8]}"
    buses = [await Bus.connect(nats_url, f"replica-{n}") for n in range(2)]
    try:
        async with serving_fake(fake), http_client("tests") as http:
            clients = [
                TorBoxClient(http, fake.base_url, budget=SharedWindowLimiter(bus, bucket, (20, 61.0), batch=4))
                for bus in buses
            ]
            results = await asyncio.gather(*(clients[n % 2].me("tb_key") for n in range(60)), return_exceptions=True)
        answered = [r for r in results if not isinstance(r, BaseException)]
        refused = [r for r in results if isinstance(r, BaseException)]
        assert fake.rate_limited == 0
        assert len(answered) == len(fake.calls) == 20  # every call bought was used
        assert all(isinstance(r, TorBoxError) and r.kind == "rate_limited" and r.retry_after > 50 for r in refused)
        assert len(answered) + len(refused) == 60
    finally:
        for bus in buses:
            await bus.close()


@pytest.mark.parametrize("waits", [[0.3, None], [5.0]])
async def test_a_call_waits_a_moment_for_its_budget_then_is_refused(waits):
    """A wait within two seconds is waited out; a longer one is refused at once, with the wait."""

    class Budget:
        async def acquire(self, key, scope=""):
            return waits.pop(0)

    async with http_client("tests") as http:
        fake = FakeTorBox()
        fake.add_account("tb_key")
        async with serving_fake(fake):
            client = TorBoxClient(http, fake.base_url, budget=Budget())
            if len(waits) == 2:
                me, _ = await client.me("tb_key")
                assert me["email"] and len(fake.calls) == 1
            else:
                with pytest.raises(TorBoxError) as refused:
                    await client.me("tb_key")
                assert refused.value.retry_after == 5.0 and fake.calls == []
