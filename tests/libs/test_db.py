import asyncio

import asyncpg
import pytest

from libs.db import MigrationError, create_pool, migrate, migration_files, ping


@pytest.fixture
async def pool(fresh_dsn):
    pool = await create_pool(fresh_dsn, min_size=1, max_size=4)
    yield pool
    await pool.close()


def write(directory, name, sql):
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(sql)


async def test_migrations_apply_in_order_once(pool, tmp_path):
    migrations = tmp_path / "m"
    write(migrations, "0002_add_column.sql", "ALTER TABLE things ADD COLUMN label text;")
    write(migrations, "0001_create.sql", "CREATE TABLE things (id serial PRIMARY KEY);")
    assert await migrate(pool, "svc", migrations) == ["svc:0001_create", "svc:0002_add_column"]
    assert await migrate(pool, "svc", migrations) == []
    await pool.execute("INSERT INTO things (label) VALUES ('x')")
    versions = [r["version"] for r in await pool.fetch("SELECT version FROM schema_migrations ORDER BY 1")]
    assert versions == ["svc:0001_create", "svc:0002_add_column"]


async def test_services_number_their_migrations_independently(pool, tmp_path):
    write(tmp_path / "a", "0001_init.sql", "CREATE TABLE a_things (id int);")
    write(tmp_path / "b", "0001_init.sql", "CREATE TABLE b_things (id int);")
    await migrate(pool, "a", tmp_path / "a")
    await migrate(pool, "b", tmp_path / "b")
    assert await pool.fetchval("SELECT count(*) FROM schema_migrations") == 2


async def test_a_failing_migration_leaves_nothing_behind(pool, tmp_path):
    migrations = tmp_path / "m"
    write(migrations, "0001_ok.sql", "CREATE TABLE ok (id int);")
    write(migrations, "0002_broken.sql", "CREATE TABLE half (id int); SELECT no_such_function();")
    with pytest.raises(asyncpg.UndefinedFunctionError):
        await migrate(pool, "svc", migrations)
    assert await pool.fetchval("SELECT to_regclass('half')") is None
    assert await pool.fetchval("SELECT to_regclass('ok')") == "ok"
    assert [r["version"] for r in await pool.fetch("SELECT version FROM schema_migrations")] == ["svc:0001_ok"]


async def test_concurrent_runners_apply_each_migration_once(fresh_dsn, tmp_path):
    migrations = tmp_path / "m"
    write(migrations, "0001_create.sql", "CREATE TABLE counted (id int); INSERT INTO counted VALUES (1);")
    write(migrations, "0002_more.sql", "INSERT INTO counted VALUES (2);")
    pools = [await create_pool(fresh_dsn, min_size=1, max_size=2) for _ in range(4)]
    try:
        results = await asyncio.gather(*(migrate(p, "svc", migrations) for p in pools))
        assert sorted(v for r in results for v in r) == ["svc:0001_create", "svc:0002_more"]
        assert await pools[0].fetchval("SELECT count(*) FROM counted") == 2
    finally:
        for p in pools:
            await p.close()


def test_badly_named_files_are_refused(tmp_path):
    write(tmp_path, "1_init.sql", "")
    with pytest.raises(MigrationError, match=r"0001_name\.sql"):
        migration_files(tmp_path)


def test_duplicate_numbers_are_refused(tmp_path):
    write(tmp_path, "0001_a.sql", "")
    write(tmp_path, "0001_b.sql", "")
    with pytest.raises(MigrationError, match="share a number"):
        migration_files(tmp_path)


async def test_json_columns_use_the_msgspec_codec(pool):
    await pool.execute("CREATE TABLE docs (body jsonb)")
    await pool.execute("INSERT INTO docs VALUES ($1)", {"a": [1, 2], "b": None})
    assert await pool.fetchval("SELECT body FROM docs") == {"a": [1, 2], "b": None}
    assert await pool.fetchval("SELECT body->'a' FROM docs") == [1, 2]


async def test_pool_size_comes_from_configuration(fresh_dsn):
    pool = await create_pool(fresh_dsn, min_size=2, max_size=3)
    try:
        assert pool.get_min_size() == 2 and pool.get_max_size() == 3
        assert await ping(pool)
    finally:
        await pool.close()


async def test_ping_is_false_when_nothing_listens():
    pool = await asyncio.wait_for(_pool_on_a_dead_port(), 10)
    try:
        assert await ping(pool) is False
    finally:
        pool.terminate()


async def _pool_on_a_dead_port():
    from libs.embedded import free_port

    # min_size=0: the pool is created without connecting, as after a database restart
    return await asyncpg.create_pool(f"postgresql://postgres@127.0.0.1:{free_port()}/x", min_size=0, max_size=1)


async def test_a_released_connection_costs_no_reset_round_trip_but_never_keeps_a_transaction(pool, fresh_dsn):
    async with pool.acquire() as conn:
        pid = await conn.fetchval("SELECT pg_backend_pid()")
    observer = await asyncpg.connect(fresh_dsn)
    try:
        last = await observer.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", pid)
        assert last == "SELECT pg_backend_pid()"  # no `RESET ALL` sent on release
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT pg_backend_pid()") == pid
            leaked = conn.transaction()
            await leaked.start()  # a transaction left open by mistake...
            await conn.execute("CREATE TABLE leaked (n int)")
        async with pool.acquire() as conn:
            # ... was rolled back before the connection served anyone else
            assert not await conn.fetchval("SELECT to_regclass('leaked') IS NOT NULL")
    finally:
        await observer.close()


async def test_retention_prunes_only_old_rows_it_may_and_in_batches(pool):
    from libs.retention import Retention, prune

    await pool.execute("CREATE TABLE events (at timestamptz NOT NULL, done boolean NOT NULL)")
    await pool.execute(
        """INSERT INTO events SELECT now() - make_interval(days => d), d % 2 = 0
           FROM generate_series(0, 59) d"""
    )  # one a day for 60 days, every other one done
    deleted = await prune(pool, Retention("events", "at", 30, only="done"), batch=4)
    assert deleted == 15  # of days 30 to 59 (past the 30 days by the time it prunes), the done ones
    assert await pool.fetchval("SELECT count(*) FROM events WHERE at < now() - interval '30 days' AND done") == 0
    assert await pool.fetchval("SELECT count(*) FROM events") == 45
    with pytest.raises(ValueError):
        Retention("events; DROP TABLE x", "at", 30)


@pytest.mark.parametrize("service", ["indexer-stats", "pool-allocator", "notifier"])
async def test_every_services_retention_names_its_own_tables(pool, service):
    """A rule naming a table or column that does not exist would fail only once a day, in production."""
    from libs.retention import prune_all
    from services.indexer_stats import app as stats_app
    from services.indexer_stats.config import StatsConfig
    from services.indexer_stats.config import retention as stats_retention
    from services.notifier import app as notifier_app
    from services.notifier.config import NotifierConfig
    from services.notifier.config import retention as notifier_retention
    from services.pool_allocator import app as pool_app
    from services.pool_allocator.config import PoolConfig
    from services.pool_allocator.config import retention as pool_retention

    modules = {"indexer-stats": stats_app, "pool-allocator": pool_app, "notifier": notifier_app}
    rules = {
        "indexer-stats": stats_retention(StatsConfig()),
        "pool-allocator": pool_retention(PoolConfig()),
        "notifier": notifier_retention(NotifierConfig()),
    }[service]
    await migrate(pool, service, modules[service].MIGRATIONS)
    assert set(await prune_all(pool, rules)) == {rule.table for rule in rules}
