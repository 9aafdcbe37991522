"""notifier under load.

1. Coalescing: the service runs as its own process (embedded PostgreSQL and NATS); `--completions` (1,000)
   `torrent.status` completions are published over 10 s; fake Jellyfin and Emby record every call. Reported:
   calls per server, the shortest gap between two calls to one server (≥ the window means one call per window),
   and how long after the first completion the first call came.
2. One poll cycle over `--downloads` (500) tracked downloads in a fake SABnzbd, in this process: CPU time
   (time.process_time) of a cycle where every download changed, and of one where none did.
3. The service's peak RSS.

    .venv/bin/python bench/notifier.py [--completions 1000] [--window 5] [--downloads 500]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.common import healthy, machine, peak_rss_mib, service_env  # noqa: E402
from libs.bus import Bus, ensure_streams, publish  # noqa: E402
from libs.config import load_settings  # noqa: E402
from libs.crypto import SecretBox  # noqa: E402
from libs.db import create_pool, migrate  # noqa: E402
from libs.embedded import EmbeddedNats, EmbeddedPostgres, free_port, wait_for  # noqa: E402
from libs.http import http_client  # noqa: E402
from libs.outbox import Outbox  # noqa: E402
from libs.schemas import TORRENT_STATUS, TorrentStatus  # noqa: E402
from libs.schemas.notifier import ClientCreate, DownloadCreate  # noqa: E402
from services.notifier.app import MIGRATIONS  # noqa: E402
from services.notifier.downloads import Downloads  # noqa: E402
from tests.fakes.jellyfin import FakeJellyfin  # noqa: E402
from tests.fakes.sabnzbd import FakeSabnzbd  # noqa: E402
from tests.support.asgi import serving_fake  # noqa: E402


async def coalescing(args, work: Path, postgres, nats) -> tuple[dict, float]:
    jellyfin, emby = FakeJellyfin("jf-bench-key-0001"), FakeJellyfin("emby-bench-key-01", legacy_auth=True)
    async with serving_fake(jellyfin), serving_fake(emby):
        port = free_port()
        env = service_env(work / "notifier", postgres.dsn, nats.url, port)
        service = await asyncio.create_subprocess_exec(sys.executable, "-m", "services.notifier", cwd=ROOT, env=env)
        try:
            await asyncio.to_thread(wait_for, lambda: healthy(port), 60, "notifier")
            settings = load_settings(env)
            document = {
                "jellyfin": {"enabled": True, "url": jellyfin.base_url, "apiKey": jellyfin.api_key},
                "emby": {"enabled": True, "url": emby.base_url, "apiKey": emby.api_key},
                "coalesceSeconds": args.window,
            }
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                headers = {"Authorization": f"Bearer {settings.admin_token}"}
                (await client.patch("/settings/integrations", json=document, headers=headers)).raise_for_status()
            bus = await Bus.connect(nats.url, "bench")
            await ensure_streams(bus)
            first = time.monotonic()
            spacing = 10.0 / args.completions
            for n in range(args.completions):
                event = TorrentStatus(hash=f"{n:040x}", name=f"Show.S01E{n:04d}", state="completed",
                                      content_path=f"/downloads/tv/Show.S01E{n:04d}",
                                      files=[f"/downloads/tv/Show.S01E{n:04d}/Show.S01E{n:04d}.mkv"])  # fmt: skip
                await publish(bus, TORRENT_STATUS, event)
                await asyncio.sleep(max(0.0, first + (n + 1) * spacing - time.monotonic()))
            await bus.close()
            await asyncio.sleep(args.window * 2 + 2)  # the last window closes
            results = {}
            for name, server in (("jellyfin", jellyfin), ("emby", emby)):
                times = [t for t, path, _ in server.calls]
                paths = sum(len(p or []) for _, _, p in server.calls)
                gaps = [b - a for a, b in itertools.pairwise(times)]
                results[name] = {
                    "calls": len(times),
                    "paths": paths,
                    "shortest_gap": min(gaps) if gaps else None,
                    "first_after": times[0] - first if times else None,
                }
            return results, peak_rss_mib(service.pid)
        finally:
            service.terminate()
            await service.wait()


async def poll_cpu(args, postgres) -> tuple[float, float]:
    sab = FakeSabnzbd()
    for n in range(args.downloads):
        sab.add(f"SABnzbd_nzo_{n}", f"Film.{n}.2020.1080p", mb=1000, left=900)
    db = await create_pool(postgres.dsn, min_size=1, max_size=4)
    await migrate(db, "notifier", MIGRATIONS)
    async with serving_fake(sab), http_client("bench") as http:
        downloads = Downloads(db, SecretBox("bench-secret"), http, Outbox(db, None, "notifier_outbox"))
        port = int(sab.base_url.rsplit(":", 1)[1])
        client = await downloads.add_client(
            ClientCreate(type="sabnzbd", name="SAB", host="127.0.0.1", port=port, api_key=sab.api_key)
        )
        for n in range(args.downloads):
            await downloads.track(DownloadCreate(client_id=client.id, client_download_id=f"SABnzbd_nzo_{n}"))
        changed, unchanged = [], []
        for round_ in range(6):
            for slot in sab.queue:
                slot["mbleft"] = f"{900 - 10 * (round_ + 1):.2f}"
            started = time.process_time()
            await downloads.poll()
            changed.append(time.process_time() - started)
            started = time.process_time()
            await downloads.poll()
            unchanged.append(time.process_time() - started)
        await downloads.aclose()
    await db.close()
    # the first round also warmed caches; the median of the rest is the figure
    return 1000 * statistics.median(changed[1:]), 1000 * statistics.median(unchanged[1:])


async def main(args) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-notifier-"))
    postgres = EmbeddedPostgres(work / "pg").start()
    nats = EmbeddedNats(work / "nats").start()
    try:
        results, rss = await coalescing(args, work, postgres, nats)
        changed, unchanged = await poll_cpu(args, postgres)
        print(machine())
        print(f"{args.completions:,} completions over 10 s, window {args.window:g} s:")
        for name, figures in results.items():
            gap = figures["shortest_gap"]
            print(
                f"  {name}: {figures['calls']} calls for {figures['paths']:,} paths; "
                f"first {figures['first_after']:.2f} s "
                f"after the first completion; shortest gap between calls {'-' if gap is None else f'{gap:.2f} s'}"
            )
        print(f"one poll cycle, {args.downloads} tracked downloads: CPU {changed:.0f} ms when all changed, "
              f"{unchanged:.0f} ms when none did")  # fmt: skip
        print(f"notifier peak RSS: {rss:.0f} MiB")
    finally:
        nats.stop()
        postgres.stop()


if __name__ == "__main__":
    cli = argparse.ArgumentParser()
    cli.add_argument("--completions", type=int, default=1000)
    cli.add_argument("--window", type=float, default=5.0)
    cli.add_argument("--downloads", type=int, default=500)
    asyncio.run(main(cli.parse_args()))
