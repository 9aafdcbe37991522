"""stream-proxy under load: the service runs as its own process (with indexer-stats beside it) on the embedded
PostgreSQL and NATS, the fakes (Prowlarr, TorBox, Cinemeta) in a third process with fixed latencies.

1. Warm `/stream`: one film's list, already searched and checked (NATS KV), asked by `wrk` with 64
   connections for `--seconds`: requests/s and p99.
2. Cold `/stream`: `--films` films never asked before, one at a time; the service's own time is the answer's
   time minus the fakes' latencies on its critical path (Cinemeta, then Prowlarr, then TorBox's cache check).
3. The service's peak RSS (VmHWM).

    .venv/bin/python bench/stream_proxy.py [--seconds 10] [--films 100] [--replicas 1] [--traefik]

With `--replicas 2` two stream-proxy processes share the work behind the project's Traefik (`--traefik`
puts Traefik in front of one, to compare like with like). With `--pool`, pool-allocator runs too, the fake
TorBox key is added to the pool with one user, and the warm list is measured for that pool user beside the
own-token user, in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.common import healthy, machine, peak_rss_mib, pss_mib, service_env  # noqa: E402
from libs.embedded import EmbeddedNats, EmbeddedPostgres, EmbeddedTraefik, free_port, wait_for  # noqa: E402
from libs.schemas.stremio import AddonConfig, StoreConfig  # noqa: E402
from libs.topology import SERVICES  # noqa: E402
from services.stream_proxy.addon_config import encode_config  # noqa: E402

LATENCY = {"prowlarr": 0.100, "torbox": 0.050, "cinemeta": 0.030}  # each fake's added wait


def wrk(url: str, seconds: int, connections: int, rate: int | None = None) -> tuple[float, float]:
    """(requests/s, p99 ms) from wrk's report: as fast as the server answers, or paced to about `rate`."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    env = dict(os.environ)
    if rate:
        command[1:1] = ["-s", str(ROOT / "bench" / "paced.lua")]
        env["WRK_DELAY_MS"] = str(max(0, round(connections * 1000 / rate) - 1))
    out = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"wrk saw {errors.group(1)} error responses:\n{out}")
    return rate, p99


def upstream_seconds(client: httpx.Client, urls: dict, imdb: str) -> float:
    """What the fakes alone take on the service's critical path for this film, asked the same way: Cinemeta,
    then every indexer's search at once (the slowest counts), then TorBox's cache check of what they found."""
    started = time.perf_counter()
    client.get(f"{urls['cinemeta']}/meta/movie/{imdb}.json").raise_for_status()
    key = {"X-Api-Key": urls["prowlarrApiKey"]}
    query = {"query": f"Film {{ImdbId:{imdb}}}", "type": "movie"}

    def search(indexer: int) -> list[dict]:
        response = client.get(f"{urls['prowlarr']}/api/v1/search", params={**query, "indexerIds": indexer}, headers=key)
        return response.json()

    with ThreadPoolExecutor(3) as pool:  # Fast, Broken, TorrentFiles; Slow is down by now and not asked
        found = [r for results in pool.map(search, (1, 3, 4)) for r in results]
    client.post(
        f"{urls['torbox']}/v1/api/torrents/checkcached",
        params={"format": "list", "list_files": "true"},
        json={"hashes": sorted({r["infoHash"].lower() for r in found})},
        headers={"Authorization": f"Bearer {urls['torboxToken']}"},
    ).raise_for_status()
    return time.perf_counter() - started


def pool_user_config(pool_work: Path, pool_port: int, urls: dict) -> str:
    """The fake TorBox key in the pool (through the admin API, with the pool's own admin token), one user,
    and that user's add-on configuration."""
    from libs.config import load_settings

    settings = load_settings(service_env(pool_work, "", "", pool_port), dotenv=pool_work / "none")
    admin = {"Authorization": f"Bearer {settings.admin_token}"}
    with httpx.Client(base_url=f"http://127.0.0.1:{pool_port}", headers=admin, timeout=30) as client:
        client.post("/pool/keys", json={"apiKey": urls["torboxToken"]}).raise_for_status()
        user = client.post("/pool/users", json={"email": "bench@example.com", "password": "bench-password"})
        user.raise_for_status()
    return encode_config(AddonConfig(stores=[StoreConfig(c="tb", auth=user.json()["uuid"])]))


def main(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="bench-stream-"))
    postgres = EmbeddedPostgres(work / "pg").start()
    nats = EmbeddedNats(work / "nats").start()
    fakes = subprocess.Popen(
        [
            sys.executable, "-m", "tests.fakes.serve", "--films", str(args.films + 1), "--no-rate-limits",
            "--prowlarr-latency", str(LATENCY["prowlarr"]), "--torbox-latency", str(LATENCY["torbox"]),
            "--cinemeta-latency", str(LATENCY["cinemeta"]),
        ],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    urls = json.loads(fakes.stdout.readline())
    upstreams = {
        "PROWLARR_URL": urls["prowlarr"],
        "PROWLARR_API_KEY": urls["prowlarrApiKey"],
        "TORBOX_API_URL": urls["torbox"],
        "TORBOX_REQUESTS_PER_MINUTE": str(10**9),  # as the fake's (--no-rate-limits): our speed is measured
        "CINEMETA_URL": urls["cinemeta"],
    }
    processes = []
    traefik = pool = None
    try:
        stats_port = free_port()
        proxy_ports = [free_port() for _ in range(args.replicas)]
        launched = [("indexer_stats", stats_port), *(("stream_proxy", p) for p in proxy_ports)]
        for module, service_port in launched:
            env = service_env(work / f"{module}-{service_port}", postgres.dsn, nats.url, service_port, **upstreams)
            processes.append(subprocess.Popen([sys.executable, "-m", f"services.{module}"], cwd=ROOT, env=env))
        pool = None
        if args.pool:
            pool_port = free_port()
            pool_env = service_env(
                work / "pool", postgres.dsn, nats.url, pool_port, TORBOX_API_URL=urls["torbox"],
                POOL_HEALTH_INTERVAL_SECONDS="3600", POOL_BCRYPT_ROUNDS="4",
            )  # fmt: skip
            pool = subprocess.Popen([sys.executable, "-m", "services.pool_allocator"], cwd=ROOT, env=pool_env)
            launched.append(("pool_allocator", pool_port))
        for _, service_port in launched:
            wait_for(lambda p=service_port: healthy(p), 60, "services")
        entry = f"http://127.0.0.1:{proxy_ports[0]}"
        if args.traefik or args.replicas > 1:
            backends: dict[str, str | list[str]] = {s.name: "http://127.0.0.1:9" for s in SERVICES}
            backends["stream-proxy"] = [f"http://127.0.0.1:{p}" for p in proxy_ports]
            traefik = EmbeddedTraefik(work / "traefik", backends=backends, port=free_port(), host="127.0.0.1")
            entry = traefik.start().url
        config = encode_config(AddonConfig(stores=[StoreConfig(c="tb", t=urls["torboxToken"])]))
        base = f"{entry}/stremio/torz/{config}/stream/movie"
        with httpx.Client(timeout=30) as client:
            warm = f"{base}/tt0133093.json"
            # the first-ever search: the slow indexer (4 s) is asked too, indexer-stats having no figures yet
            started_first = time.perf_counter()
            first = client.get(warm)
            first_search = time.perf_counter() - started_first
            assert first.status_code == 200 and len(first.json()["streams"]) >= 3, first.text
            client.get(f"{base}/tt9000001.json")  # the worker process that parses starts here
            cold: list[float] = []
            upstream: list[float] = []
            for n in range(2, args.films + 2):
                upstream.append(upstream_seconds(client, urls, f"tt{9_000_000 + n}"))
                started = time.perf_counter()
                response = client.get(f"{base}/tt{9_000_000 + n}.json")
                cold.append(time.perf_counter() - started)
                assert response.status_code == 200 and len(response.json()["streams"]) == 10, response.text
        profiler = None
        if args.profile:
            profiler = subprocess.Popen(
                ["py-spy", "record", "-p", str(processes[1].pid), "-d", str(args.seconds), "-f", "speedscope",
                 "-o", args.profile],
            )  # fmt: skip
        wrk(warm, 3, 64)  # connections opened and the process warmed: the figure is the steady state
        paced_rate, paced_p99 = wrk(warm, args.seconds, 64, rate=1000)
        rate, p99 = wrk(warm, args.seconds, 64)
        pool_figures = None
        if pool is not None:
            pool_warm = f"{entry}/stremio/torz/{pool_user_config(work / 'pool', pool_port, urls)}/stream/movie"
            pool_warm += "/tt0133093.json"
            listed = httpx.get(pool_warm, timeout=30)
            assert listed.status_code == 200 and listed.json()["streams"][0].get("url"), listed.text
            wrk(pool_warm, 3, 64)
            pool_figures = wrk(pool_warm, args.seconds, 64)
        if profiler is not None:
            profiler.wait()
        fakes_ms = 1000 * statistics.median(upstream)
        own = sorted(1000 * (c - u) for c, u in zip(cold, upstream, strict=True))
        print(machine())
        print(f"stream-proxy replicas: {args.replicas}" + (" behind Traefik" if traefik else " (direct)"))
        print(f"warm /stream, 64 connections offering ~1,000/s: {paced_rate:,.0f} requests/s, p99 {paced_p99:.1f} ms")
        print(f"warm /stream, 64 connections as fast as answered: {rate:,.0f} requests/s, p99 {p99:.1f} ms")
        print(f"first-ever search, a 4 s indexer among them: answered in {1000 * first_search:.0f} ms")
        print(
            f"cold /stream, {args.films} films one at a time: answer p50 {1000 * statistics.median(cold):.0f} ms; "
            f"own time above the fakes' {fakes_ms:.0f} ms: p50 {statistics.median(own):.1f} ms, "
            f"p95 {own[int(0.95 * len(own))]:.1f} ms"
        )
        if pool_figures is not None:
            print(
                f"warm /stream of a pool user, 64 connections as fast as answered: {pool_figures[0]:,.0f} requests/s, "
                f"p99 {pool_figures[1]:.1f} ms: {pool_figures[0] / rate:.2f}x the own-token user's"
            )
        proxies = processes[1 : 1 + args.replicas]
        print(f"stream-proxy peak RSS: {max(peak_rss_mib(p.pid) for p in proxies):.0f} MiB (per replica)")
        print(f"stream-proxy PSS with its parsing workers: {max(pss_mib(p.pid) for p in proxies):.0f} MiB")
    finally:
        if traefik is not None:
            traefik.stop()
        for process in [*processes, *([pool] if pool is not None else []), fakes]:
            process.terminate()
            process.wait()
        nats.stop()
        postgres.stop()


if __name__ == "__main__":
    cli = argparse.ArgumentParser()
    cli.add_argument("--seconds", type=int, default=10)
    cli.add_argument("--films", type=int, default=100)
    cli.add_argument("--replicas", type=int, default=1)
    cli.add_argument("--traefik", action="store_true", help="Traefik in front even of one replica")
    cli.add_argument("--pool", action="store_true", help="measure a pool user's warm list beside the own-token one")
    cli.add_argument("--profile", help="write a py-spy profile (speedscope) of the warm phase here")
    main(cli.parse_args())
