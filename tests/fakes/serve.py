"""Serve the fakes (Prowlarr, TorBox with its CDN, Cinemeta, Jellyfin, ntfy) stocked with the shared
catalogue, in one process, for benchmarks and `make demo`. Prints one JSON line with their URLs and keys,
then serves until stopped.

    python -m tests.fakes.serve [--films N] [--prowlarr-latency S] [--torbox-latency S] [--cinemeta-latency S]
        [--host 0.0.0.0 --public-host fakes --base-port 9001]   # in a container beside compose's services
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from contextlib import AsyncExitStack
from pathlib import Path

from libs.telemetry import configure_logging
from tests.fakes.alert_targets import FakeNtfy
from tests.fakes.catalogue import ENTRIES, GB, hash_of, stock
from tests.fakes.cinemeta import FakeCinemeta
from tests.fakes.jellyfin import FakeJellyfin
from tests.fakes.prowlarr import FakeProwlarr
from tests.fakes.prowlarr import Release as ProwlarrRelease
from tests.fakes.torbox import FakeTorBox
from tests.support.asgi import serving_fake

DEMO_TOKEN = "tb_demo_token_0000000001"


def add_films(prowlarr: FakeProwlarr, torbox: FakeTorBox, cinemeta: FakeCinemeta, count: int) -> None:
    """`count` more films (tt9000001…), each with ten releases on the Fast indexer, three of them cached."""
    fast = prowlarr.indexers[1]
    for n in range(1, count + 1):
        imdb = f"tt{9_000_000 + n}"
        cinemeta.titles[("movie", imdb)] = {"id": imdb, "type": "movie", "name": f"Film {n}", "year": "2020"}
        for r, resolution in enumerate(
            ["2160p", "1080p", "1080p", "720p", "720p", "1080p", "480p", "2160p", "1080p", "720p"]
        ):
            title = f"Film.{n}.2020.{resolution}.WEB-DL.x264-G{r}"
            fast.releases.append(
                ProwlarrRelease(title, hash_of(title), (r + 1) * GB, 10 * r + 1, imdb_id=9_000_000 + n)
            )
            torbox.add_torrent(hash_of(title), title, [(f"{title}.mkv", (r + 1) * GB)], cached=r < 3)


async def main(args: argparse.Namespace) -> None:
    configure_logging("fakes", "warning")
    prowlarr, torbox, cinemeta = FakeProwlarr(), FakeTorBox(download_seconds=args.download_seconds), FakeCinemeta()
    stock(prowlarr, torbox, slow_seconds=args.slow_seconds)
    add_films(prowlarr, torbox, cinemeta, args.films)
    for indexer in prowlarr.indexers.values():
        if indexer.name != "Slow":
            indexer.latency = args.prowlarr_latency
    torbox.latency, cinemeta.latency = args.torbox_latency, args.cinemeta_latency
    torbox.general_limit = 10**9 if args.no_rate_limits else torbox.general_limit
    torbox.add_account(DEMO_TOKEN)
    jellyfin = FakeJellyfin()
    ntfy = FakeNtfy()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with AsyncExitStack() as stack:
        for n, fake in enumerate((prowlarr, torbox, cinemeta, jellyfin, ntfy)):
            port = args.base_port + n if args.base_port else None
            where = {"host": args.host, "public_host": args.public_host, "port": port}
            await stack.enter_async_context(serving_fake(fake, **where))
        line = {
            "prowlarr": prowlarr.base_url,
            "prowlarrApiKey": prowlarr.api_key,
            "torbox": torbox.base_url,
            "cinemeta": cinemeta.base_url,
            "torboxToken": DEMO_TOKEN,
            "jellyfin": jellyfin.base_url,
            "jellyfinApiKey": jellyfin.api_key,
            "ntfy": ntfy.base_url,
            "catalogue": sorted({e.imdb for e in ENTRIES}),
        }
        print(json.dumps(line), flush=True)
        if args.info_file:  # for a parent that reads a file rather than our output (`make demo`)
            Path(args.info_file).write_text(json.dumps(line))
        await stop.wait()


if __name__ == "__main__":
    cli = argparse.ArgumentParser()
    cli.add_argument("--films", type=int, default=0)
    cli.add_argument("--prowlarr-latency", type=float, default=0.0)
    cli.add_argument("--torbox-latency", type=float, default=0.0)
    cli.add_argument("--cinemeta-latency", type=float, default=0.0)
    cli.add_argument("--slow-seconds", type=float, default=4.0)
    cli.add_argument("--download-seconds", type=float, default=20.0)
    cli.add_argument("--no-rate-limits", action="store_true")
    cli.add_argument("--info-file", help="also write the JSON line here")
    cli.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    cli.add_argument("--public-host", help="the name others reach the fakes by (default: --host)")
    cli.add_argument("--base-port", type=int, help="Prowlarr on this port, TorBox, Cinemeta, Jellyfin, ntfy the next")
    asyncio.run(main(cli.parse_args()))
