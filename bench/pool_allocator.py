"""pool-allocator under load: the service runs as its own process on the embedded PostgreSQL and NATS.

1. 2,000 users ask for their first key at once (over NATS) across 3 pools: wall time, and the invariants
   (no slot with two users, no pool over its limit, counters equal to the truth).
2. Assigned users ask again with 32 requests in flight for a fixed time: answers/s, p50/p99 latency.
3. The service's peak RSS (VmHWM).

    .venv/bin/python bench/pool_allocator.py [--seconds 20] [--users 2000] [--in-flight 32] [--replicas 1]

With `--replicas 2`, two pool-allocator processes answer `pool.key.get` in one queue group.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uvloop

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import healthy, machine, peak_rss_mib, service_env  # noqa: E402
from libs.bus import Bus  # noqa: E402
from libs.db import create_pool  # noqa: E402
from libs.embedded import EmbeddedNats, EmbeddedPostgres, free_port, wait_for  # noqa: E402
from libs.schemas import POOL_KEY_GET, PoolKeyRequest  # noqa: E402


async def main(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-pool-"))
    postgres = EmbeddedPostgres(work / "pg", durable=not args.no_fsync).start()
    nats = EmbeddedNats(work / "nats").start()
    port = free_port()
    env = service_env(
        work,
        postgres.dsn,
        nats.url,
        port,
        DB_POOL_MAX="10",
        TORBOX_API_URL="http://127.0.0.1:9",  # health checks fail fast; irrelevant here
        POOL_HEALTH_INTERVAL_SECONDS="3600",
    )
    ports = [port, *(free_port() for _ in range(args.replicas - 1))]  # each replica in the one queue group
    services = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "services.pool_allocator",
            cwd=ROOT,
            env={**env, "SERVICE_PORT": str(replica_port)},
            stdout=subprocess.DEVNULL,
        )
        for replica_port in ports
    ]
    try:
        for replica_port in ports:
            wait_for(lambda p=replica_port: healthy(p), 60, "pool-allocator")
        db = await create_pool(postgres.dsn, min_size=1, max_size=4)
        bus = await Bus.connect(nats.url, "bench")
        await seed(db, args.users, port, env)
        users = [str(r["uuid"]) for r in await db.fetch("SELECT uuid FROM users")]

        started = time.perf_counter()
        replies = await asyncio.gather(
            *(
                bus.request(POOL_KEY_GET, PoolKeyRequest(user_id=u, device_id="tv", action="x"), timeout=60)
                for u in users
            )
        )
        first_seconds = time.perf_counter() - started
        allowed = sum(r.allowed for r in replies)
        violations = await count_violations(db)

        latencies: list[float] = []
        deadline = time.perf_counter() + args.seconds

        async def worker(offset: int) -> None:
            i = offset
            while time.perf_counter() < deadline:
                user = users[i % len(users)]
                i += args.in_flight
                t0 = time.perf_counter()
                reply = await bus.request(
                    POOL_KEY_GET, PoolKeyRequest(user_id=user, device_id="tv", action="x"), timeout=5
                )
                latencies.append(time.perf_counter() - t0)
                assert reply.allowed

        steady_started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(args.in_flight)))
        steady_seconds = time.perf_counter() - steady_started
        latencies.sort()
        rss = max(peak_rss_mib(s.pid) for s in services)
        print(machine())
        print(f"pool-allocator replicas: {args.replicas}")
        print(
            f"first allocations: {len(users)} users, {allowed} allowed, {first_seconds:.2f} s, violations: {violations}"
        )
        rate = len(latencies) / steady_seconds
        p50, p99 = 1000 * statistics.median(latencies), 1000 * latencies[int(0.99 * len(latencies))]
        print(
            f"assigned users, {args.in_flight} in flight, {steady_seconds:.0f} s: {rate:,.0f} answers/s, "
            f"p50 {p50:.2f} ms, p99 {p99:.2f} ms"
        )
        print(f"service peak RSS: {rss:.0f} MiB")
        await bus.close()
        await db.close()
    finally:
        for replica in services:
            replica.terminate()
            await replica.wait()
        nats.stop()
        postgres.stop()


async def seed(db, users: int, port: int, env: dict[str, str]) -> None:
    """Three keys through the admin API (encrypted with the service's own SECRET_KEY); users by SQL, as
    bcrypt for thousands of users would only measure bcrypt."""
    import httpx

    from libs.config import load_settings

    settings = load_settings(env, dotenv=Path(env["CHILLPROXY_ENV_FILE"]))
    headers = {"Authorization": f"Bearer {settings.admin_token}"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
        for n, slots in enumerate((800, 700, 600)):
            body = {"apiKey": f"tb_bench_key_{n}_0123456789abcdef", "priority": 3 - n, "maxUserSlots": slots}
            (await client.post("/pool/keys", json=body)).raise_for_status()
    await db.execute(
        """
        WITH new AS (INSERT INTO users (email, password_hash)
                     SELECT 'bench' || n || '@example.com', 'x' FROM generate_series(1, $1) n RETURNING uuid)
        INSERT INTO user_subs (uuid) SELECT uuid FROM new
        """,
        users,
    )


async def count_violations(db) -> int:
    doubled = await db.fetchval(
        """
        SELECT count(*) FROM (
            SELECT user_id FROM torbox_slots WHERE user_id IS NOT NULL GROUP BY user_id HAVING count(*) > 1) d
        """
    )
    wrong = await db.fetchval(
        """
        SELECT count(*) FROM torbox_pool p
        WHERE p.current_user_slots > p.max_user_slots
           OR p.current_user_slots <>
              (SELECT count(*) FROM torbox_slots s WHERE s.pool_key_id = p.id AND s.user_id IS NOT NULL)
        """
    )
    return doubled + wrong


if __name__ == "__main__":
    cli = argparse.ArgumentParser()
    cli.add_argument("--seconds", type=float, default=20)
    cli.add_argument("--users", type=int, default=2000)
    cli.add_argument("--in-flight", type=int, default=32)
    cli.add_argument("--replicas", type=int, default=1, help="pool-allocator processes answering pool.key.get")
    cli.add_argument("--no-fsync", action="store_true", help="PostgreSQL without fsync (to see what commits cost)")
    # the load generator on uvloop, as the service is: the less CPU it takes from the two cores, the more
    # the figures are the service's own
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main(cli.parse_args()))
