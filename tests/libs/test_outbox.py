"""The outbox keeps events while JetStream cannot take them, then publishes each once, in order."""

import asyncio

import msgspec
import pytest

from libs import outbox as outbox_module
from libs.bus import Bus, ensure_streams
from libs.db import create_pool
from libs.outbox import Outbox
from libs.schemas import TORRENT_STATUS, TorrentStatus
from tests.support.asgi import eventually


@pytest.fixture
async def db_and_bus(fresh_dsn, nats_url):
    """A pool on a fresh database and a bus whose TORRENT_STATUS stream holds this test's events only."""
    db = await create_pool(fresh_dsn, min_size=1, max_size=3)
    bus = await Bus.connect(nats_url, "tests")
    await ensure_streams(bus)
    await bus.js.purge_stream("TORRENT_STATUS")
    yield db, bus
    await bus.close()
    await db.close()


async def create_outbox_table(db, name: str) -> None:
    await db.execute(
        f"CREATE TABLE {name} (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, subject text NOT NULL,"
        " event_id text NOT NULL, body bytea NOT NULL)"
    )


async def stored_names(bus: Bus) -> list[str]:
    """The names of the torrents whose events JetStream holds, in the order it stored them."""
    state = (await bus.js.stream_info("TORRENT_STATUS")).state
    return [
        msgspec.json.decode((await bus.js.get_msg("TORRENT_STATUS", seq)).data, type=TorrentStatus).name
        for seq in range(state.first_seq, state.last_seq + 1)
    ]


async def test_events_wait_while_publishing_fails_then_go_once_in_order(db_and_bus, monkeypatch):
    db, bus = db_and_bus
    await create_outbox_table(db, "test_outbox")
    box = Outbox(db, bus, "test_outbox")
    events = [TorrentStatus(hash=f"{n:040x}", name=f"t{n}", state="completed") for n in range(5)]
    real_publish, calls = outbox_module.publish_encoded, []

    async def flaky(bus_, subject, body, event_id, timeout=2.0):
        calls.append(event_id)
        if len(calls) == 3:  # JetStream goes away after two events
            raise TimeoutError("nats away")
        await real_publish(bus_, subject, body, event_id, timeout)

    monkeypatch.setattr(outbox_module, "publish_encoded", flaky)
    for event in events:
        await box.add(TORRENT_STATUS, event)
    try:
        await box.drain()
    except TimeoutError:
        pass
    assert await db.fetchval("SELECT count(*) FROM test_outbox") == 3  # two went, three wait
    assert await box.drain() == 3
    assert await db.fetchval("SELECT count(*) FROM test_outbox") == 0
    await box.add(TORRENT_STATUS, events[0])  # the same event again (a retry): stored once by JetStream
    await box.drain()
    assert await stored_names(bus) == ["t0", "t1", "t2", "t3", "t4"]


async def test_events_added_while_the_database_is_away_wait_in_memory_in_order(own_postgres, nats_url):
    db = await create_pool(own_postgres.dsn, min_size=1, max_size=2)
    bus = await Bus.connect(nats_url, "tests")
    await ensure_streams(bus)
    await db.execute(
        "CREATE TABLE held_outbox (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, subject text NOT NULL,"
        " event_id text NOT NULL, body bytea NOT NULL)"
    )
    box = Outbox(db, bus, "held_outbox")
    events = [TorrentStatus(hash=f"{n:040x}", name=f"held{n}", state="completed") for n in range(4)]
    try:
        await box.add(TORRENT_STATUS, events[0])
        own_postgres.kill()
        for event in events[1:]:
            await box.add(TORRENT_STATUS, event)  # no exception: the caller's work goes on
        assert box.held == 3
        own_postgres.start()
        await bus.js.purge_stream("TORRENT_STATUS")
        assert await box.drain() == 4
        assert box.held == 0 and await db.fetchval("SELECT count(*) FROM held_outbox") == 0
        state = (await bus.js.stream_info("TORRENT_STATUS")).state
        stored = [
            msgspec.json.decode((await bus.js.get_msg("TORRENT_STATUS", seq)).data, type=TorrentStatus).name
            for seq in range(state.first_seq, state.last_seq + 1)
        ]
        assert stored == ["held0", "held1", "held2", "held3"]
    finally:
        await bus.close()
        await db.close()


async def test_events_still_held_when_the_service_stops_are_said_lost(own_postgres, nats_url, log_lines):
    db = await create_pool(own_postgres.dsn, min_size=1, max_size=2)
    bus = await Bus.connect(nats_url, "tests")
    await db.execute(
        "CREATE TABLE stop_outbox (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, subject text NOT NULL,"
        " event_id text NOT NULL, body bytea NOT NULL)"
    )
    box = Outbox(db, bus, "stop_outbox", retry_seconds=0.1)
    try:
        own_postgres.kill()
        for n in range(2):
            await box.add(TORRENT_STATUS, TorrentStatus(hash=f"{n:040x}", name=f"stop{n}", state="completed"))
        runner = asyncio.create_task(box.run())
        await asyncio.sleep(0.3)
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        (lost,) = [line for line in log_lines() if line["event"].startswith("outbox: events lost")]
        assert lost["lost"] == 2 and lost["table"] == "stop_outbox"
    finally:
        await bus.close()
        db.terminate()


async def test_a_row_committed_during_a_drain_is_kept_for_the_next(db_and_bus, monkeypatch):
    """A writer takes its seq when it inserts and becomes visible when it commits: a lower seq can appear
    after the drain read the table. The drain deletes what it published, not everything below it."""
    db, bus = db_and_bus
    await create_outbox_table(db, "race_outbox")
    box = Outbox(db, bus, "race_outbox")
    slow = TorrentStatus(hash=f"{1:040x}", name="slow", state="completed")
    quick = TorrentStatus(hash=f"{2:040x}", name="quick", state="completed")
    async with db.acquire() as writer:
        transaction = writer.transaction()
        await transaction.start()
        await box.add(TORRENT_STATUS, slow, connection=writer)  # seq 1, not committed yet
        await box.add(TORRENT_STATUS, quick)  # seq 2, committed
        real_publish, pending = outbox_module.publish_encoded, [transaction]

        async def commit_meanwhile(bus_, subject, body, event_id, timeout=2.0):
            if pending:
                await pending.pop().commit()  # the slow writer commits between the drain's SELECT and DELETE
            await real_publish(bus_, subject, body, event_id, timeout)

        monkeypatch.setattr(outbox_module, "publish_encoded", commit_meanwhile)
        assert await box.drain() == 2  # "quick" in the first batch, "slow" found by the next SELECT
    assert await db.fetchval("SELECT count(*) FROM race_outbox") == 0
    assert sorted(await stored_names(bus)) == ["quick", "slow"]


async def test_an_event_added_in_a_transaction_goes_out_when_it_commits(db_and_bus):
    """Woken at the insert, the drain would find nothing yet and wait out its idle nap; the commit wakes it."""
    db, bus = db_and_bus
    await create_outbox_table(db, "commit_outbox")
    box = Outbox(db, bus, "commit_outbox")
    runner = asyncio.create_task(box.run())
    try:
        for n in range(2):
            async with db.acquire() as connection, connection.transaction():
                await box.add(TORRENT_STATUS, TorrentStatus(hash=f"{n:040x}", name=f"c{n}", state="queued"), connection)
                await asyncio.sleep(0.6)  # the rest of the caller's transaction (past the drain's own retries)
            started = asyncio.get_running_loop().time()
            await eventually(lambda count=n + 1: _published(bus, count), timeout=5)
            assert asyncio.get_running_loop().time() - started < 2
        # published first, then deleted from the outbox: the row goes a moment after the message is seen
        await eventually(lambda: _outbox_empty(db, "commit_outbox"), timeout=5)
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)


async def _outbox_empty(db, table: str) -> bool:
    return await db.fetchval(f"SELECT count(*) FROM {table}") == 0


async def _published(bus: Bus, count: int) -> bool:
    return (await bus.js.stream_info("TORRENT_STATUS")).state.messages >= count
