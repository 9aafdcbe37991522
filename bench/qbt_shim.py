"""qbt-shim beside the real qBittorrent, and its downloader beside curl.

1. `torrents/info` with `--torrents` (5,000) stopped magnets in each: Debian's `qbittorrent-nox` and the shim
   (its own process, on the embedded PostgreSQL and NATS): p50/p95 of 50 requests, one at a time.
2. The downloader: a `--gib` GiB file served by a local HTTP server (`python -m http.server`), fetched by
   `curl -o` into the same folder and by the shim (TorBox's fake hands out the server's URL as the CDN link):
   throughput of each, from the first byte on disk to the last.
3. The shim's peak RSS.

    .venv/bin/python bench/qbt_shim.py [--torrents 5000] [--gib 1]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.common import healthy, machine, peak_rss_mib, service_env  # noqa: E402
from libs.embedded import EmbeddedNats, EmbeddedPostgres, free_port, wait_for  # noqa: E402
from tests.fakes.torbox import FakeTorBox  # noqa: E402
from tests.support.asgi import serving_fake  # noqa: E402
from tests.support.qbittorrent import PASSWORD as QBT_PASSWORD  # noqa: E402
from tests.support.qbittorrent import USERNAME, qbittorrent_nox  # noqa: E402

TOKEN = "tb_bench_token_000000001"
SHIM_PASSWORD = "bench-password"


def magnets(count: int) -> str:
    return "\n".join(
        f"magnet:?xt=urn:btih:{hashlib.sha1(f'bench-{n}'.encode()).hexdigest()}&dn=Bench.Show.S01E{n:04d}.720p"
        for n in range(count)
    )


async def info_latency(client: httpx.AsyncClient, rounds: int = 50) -> tuple[float, float, int]:
    times = []
    count = 0
    for _ in range(rounds):
        started = time.perf_counter()
        response = await client.get("/api/v2/torrents/info")
        times.append(time.perf_counter() - started)
        count = len(response.json())
    times.sort()
    return 1000 * statistics.median(times), 1000 * times[int(0.95 * len(times))], count


async def fill(client: httpx.AsyncClient, count: int) -> None:
    for start in range(0, count, 500):  # in batches: one request per 500 magnets
        batch = magnets(count).splitlines()[start : start + 500]
        response = await client.post("/api/v2/torrents/add", data={"urls": "\n".join(batch), "paused": "true"})
        response.raise_for_status()


async def wait_count(client: httpx.AsyncClient, count: int) -> None:
    while len((await client.get("/api/v2/torrents/info")).json()) < count:
        await asyncio.sleep(0.5)


def settle_writes() -> None:
    """Every written page on disk before a timed transfer starts: otherwise the second writer of a GiB is
    held back by the kernel while the first one's pages are still being written out (measured: the shim
    after curl spent three quarters of its time in `write`), and whichever runs second looks slower."""
    os.sync()


def watch_transfer(target: Path, part: Path, size: int, timeout: float = 180) -> float:
    """Seconds from the first byte on disk (in `part`) to the whole file at `target`."""
    deadline = time.monotonic() + timeout
    while not (part.exists() or target.exists()):
        if time.monotonic() > deadline:
            raise SystemExit("the download never started")
        time.sleep(0.005)
    started = time.perf_counter()
    while not (target.exists() and target.stat().st_size == size):
        if time.monotonic() > deadline:
            raise SystemExit("the download never finished")
        time.sleep(0.005)
    return time.perf_counter() - started


async def main(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-qbt-"))
    size = int(args.gib * (1 << 30))
    static = work / "static"
    static.mkdir()
    with open(static / "big.mkv", "wb") as handle:  # real bytes, not a sparse file: both readers pay the same
        block = os.urandom(1 << 20)
        for _ in range(size >> 20):
            handle.write(block)
    postgres = EmbeddedPostgres(work / "pg").start()
    nats = EmbeddedNats(work / "nats").start()
    static_port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(static_port), "--bind", "127.0.0.1", "--directory", str(static)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    torbox = FakeTorBox()
    torbox.add_account(TOKEN)
    big_hash = hashlib.sha1(b"bench-big").hexdigest()
    torbox.add_torrent(big_hash, "Big.Film.2024.2160p", [("big.mkv", size)])
    torbox.cdn_override[big_hash] = f"http://127.0.0.1:{static_port}/big.mkv"
    shim = None
    try:
        wait_for(lambda: _up(f"http://127.0.0.1:{static_port}/big.mkv"), 30, "static server")
        curl_target = work / "curl" / "big.mkv"
        curl_target.parent.mkdir()
        settle_writes()
        # timed as the shim is: from the first byte on disk to the whole file (not curl's start-up as well)
        curl = subprocess.Popen(["curl", "-s", "-o", str(curl_target), f"http://127.0.0.1:{static_port}/big.mkv"])
        curl_seconds = watch_transfer(curl_target, curl_target, size)
        if curl.wait() != 0:
            raise SystemExit("curl failed")
        curl_target.unlink()
        settle_writes()
        async with serving_fake(torbox):
            port = free_port()
            env = service_env(
                work / "shim", postgres.dsn, nats.url, port,
                TORBOX_API_URL=torbox.base_url, QBT_TORBOX_TOKEN=TOKEN, QBT_PASSWORD=SHIM_PASSWORD,
                DOWNLOAD_ROOT=str(work / "downloads"), QBT_POLL_ACTIVE_SECONDS="0.2", QBT_POLL_IDLE_SECONDS="0.2",
            )  # fmt: skip
            shim = await asyncio.create_subprocess_exec(sys.executable, "-m", "services.qbt_shim", cwd=ROOT, env=env)
            await asyncio.to_thread(wait_for, lambda: healthy(port), 60, "qbt-shim")
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
                await client.post("/api/v2/auth/login", data={"username": "admin", "password": SHIM_PASSWORD})
                target = work / "downloads" / "Big.Film.2024.2160p" / "big.mkv"
                part = target.with_name("big.mkv.part")
                watcher = asyncio.create_task(asyncio.to_thread(watch_transfer, target, part, size))
                await client.post("/api/v2/torrents/add", data={"urls": f"magnet:?xt=urn:btih:{big_hash}"})
                shim_seconds = await watcher
                await client.post("/api/v2/torrents/delete", data={"hashes": "all", "deleteFiles": "true"})

                await fill(client, args.torrents)
                await wait_count(client, args.torrents)
                shim_p50, shim_p95, shim_count = await info_latency(client)
            rss = peak_rss_mib(shim.pid)
        with qbittorrent_nox(work / "qbittorrent") as url:
            async with httpx.AsyncClient(base_url=url, timeout=120) as client:
                await client.post("/api/v2/auth/login", data={"username": USERNAME, "password": QBT_PASSWORD})
                await fill(client, args.torrents)
                await wait_count(client, args.torrents)
                real_p50, real_p95, real_count = await info_latency(client)
        print(machine())
        print(
            f"torrents/info, {shim_count:,} torrents: shim p50 {shim_p50:.1f} ms p95 {shim_p95:.1f} ms; "
            f"qbittorrent-nox ({real_count:,}) p50 {real_p50:.1f} ms p95 {real_p95:.1f} ms; "
            f"ratio p50 {shim_p50 / real_p50:.2f}×"
        )
        gib = size / (1 << 30)
        print(
            f"{gib:.1f} GiB from a local HTTP server: curl {size / curl_seconds / 1e6:,.0f} MB/s, "
            f"shim {size / shim_seconds / 1e6:,.0f} MB/s ({curl_seconds / shim_seconds:.2f}× curl)"
        )
        print(f"qbt-shim peak RSS: {rss:.0f} MiB")
    finally:
        if shim is not None and shim.returncode is None:
            shim.terminate()
            await shim.wait()
        server.terminate()
        server.wait()
        nats.stop()
        postgres.stop()


def _up(url: str) -> bool:
    try:
        return httpx.head(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    cli = argparse.ArgumentParser()
    cli.add_argument("--torrents", type=int, default=5000)
    cli.add_argument("--gib", type=float, default=1.0)
    asyncio.run(main(cli.parse_args()))
