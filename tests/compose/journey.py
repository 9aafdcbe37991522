"""`make test-compose`: the compose deployment built and run for real, then one journey through Traefik's
published port only.

It builds the image from deploy/Dockerfile, brings up deploy/docker-compose.yml with the test fakes beside it
(tests/compose/docker-compose.test.yml) and a settings file of its own, waits for every health check, then:
Stremio lists streams and one plays; a magnet added through the qBittorrent API lands as a file in the host's
download folder, owned by PUID; the pool admin API answers; the fake Jellyfin is told of the file; the Jaeger
container has received traces; settings from the file that compose names nowhere reach the services. Then
`down` and `up` again: the torrent and the pool user are still there. Then `down -v`. It cleans up after
itself, failed or not.

With `--cluster`, deploy/docker-compose.cluster.yml too (two replicas of every service, three NATS nodes):
the same journey, then one NATS node and a replica of two services killed and streams still listed.

    python -m tests.compose.journey [--cluster]   # needs a Docker daemon and docker-compose (or `docker compose`)
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from libs.embedded import free_port
from libs.schemas.stremio import AddonConfig, StoreConfig
from services.stream_proxy.addon_config import encode_config
from tests.fakes.catalogue import MATRIX
from tests.fakes.serve import DEMO_TOKEN

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("stream-proxy", "pool-allocator", "indexer-stats", "notifier", "qbt-shim")
PUID, PGID = 4321, 4321  # not root, not the image's 10001: the files must be the user's
MAGNET_HASH = "d" * 40
MAGNET_NAME = "Compose.Show.S01E01.720p"


def say(message: str) -> None:
    print(f"[test-compose] {message}", flush=True)


def compose_command() -> list[str]:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    raise SystemExit("test-compose: neither `docker compose` nor `docker-compose` is installed")


def eventually(check: Callable[[], Any], what: str, timeout: float = 120.0, interval: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if result := check():
                return result
        except (httpx.HTTPError, ValueError, KeyError) as error:  # not up yet
            last = error
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout:.0f} s" + (f" (last: {last!r})" if last else ""))


class Stack:
    def __init__(self, work: Path, cluster: bool = False) -> None:
        self.work = work
        self.cluster = cluster  # with deploy/docker-compose.cluster.yml: two replicas each, three NATS nodes
        self.project = f"chillproxy-test-{os.getpid()}"
        self.port, self.jaeger_port, self.jellyfin_port = free_port(), free_port(), free_port()
        self.downloads = work / "downloads"  # not created: Docker creates it as root, as on a fresh server
        self.env_file = work / "chillproxy.env"
        self.secrets = {name: secrets.token_urlsafe(24) for name in ("SECRET_KEY", "ADMIN_TOKEN", "INTERNAL_API_KEY")}
        self.qbt_password = secrets.token_urlsafe(16)
        self.env_file.write_text(
            "\n".join(
                [
                    f"COMPOSE_PROJECT_NAME={self.project}",
                    f"CHILLPROXY_ENV_FILE={self.env_file}",
                    f"CHILLPROXY_PORT=127.0.0.1:{self.port}",
                    f"JAEGER_UI_PORT={self.jaeger_port}",
                    f"FAKE_JELLYFIN_PORT={self.jellyfin_port}",
                    f"DOWNLOAD_ROOT_HOST={self.downloads}",
                    f"PUID={PUID}",
                    f"PGID={PGID}",
                    f"POSTGRES_PASSWORD={secrets.token_urlsafe(16)}",
                    *(f"{name}={value}" for name, value in self.secrets.items()),
                    f"QBT_PASSWORD={self.qbt_password}",
                    "TORBOX_API_URL=http://fakes:9002",
                    "PROWLARR_URL=http://fakes:9001",
                    "PROWLARR_API_KEY=prowlarr-test-key",
                    "CINEMETA_URL=http://fakes:9003",
                    f"QBT_TORBOX_TOKEN={DEMO_TOKEN}",
                    # named nowhere in the compose file: they reach the services only through env_file
                    "QBT_POLL_ACTIVE_SECONDS=1",
                    "QBT_POLL_IDLE_SECONDS=2",
                    "INDEXER_PROBE_AFTER_SECONDS=123",
                    "POOL_DEVICE_LIMIT=7",
                    # what `make run` reads, left empty as in the example: the container's own layout wins
                    "SERVICE_HOST=",
                    "SERVICE_PORT=",
                    "DOWNLOAD_ROOT=",
                    "CHILLPROXY_DATA=./var",
                    "",
                ]
            )
        )
        self.base = f"http://127.0.0.1:{self.port}"
        self.compose = [
            *compose_command(),
            "--project-name",
            self.project,
            "--env-file",
            str(self.env_file),
            "-f",
            str(ROOT / "deploy" / "docker-compose.yml"),
            *(["-f", str(ROOT / "deploy" / "docker-compose.cluster.yml")] if cluster else []),
            "-f",
            str(ROOT / "tests" / "compose" / "docker-compose.test.yml"),
        ]
        # the services (twice over in the cluster), NATS (three nodes), PostgreSQL, Traefik, Jaeger, the fakes
        self.containers = 2 * len(SERVICES) + 7 if cluster else len(SERVICES) + 5

    def run(self, *args: str, check: bool = True, capture: bool = False) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.compose, *args], cwd=ROOT, check=check, text=True, capture_output=capture, timeout=600
        )

    def container(self, service: str) -> str:
        found = self.run("ps", "-q", service, capture=True).stdout.split()
        if not found:
            raise AssertionError(f"no container for {service}")
        return found[0]

    def up(self) -> None:
        self.run("up", "-d", "--no-build")
        self.wait_healthy()

    def wait_healthy(self, timeout: float = 240.0) -> None:
        def states() -> dict[str, str]:
            ids = self.run("ps", "-q", capture=True).stdout.split()
            found = {}
            for container in ids:
                raw = subprocess.run(
                    ["docker", "inspect", "--format", "{{.Name}} {{.State.Status}} {{if .State.Health}}"
                     "{{.State.Health.Status}}{{end}}", container],
                    capture_output=True, text=True, check=True,
                ).stdout.split()  # fmt: skip
                found[raw[0].lstrip("/")] = raw[2] if len(raw) > 2 else raw[1]
            return found

        def all_healthy() -> dict[str, str] | None:
            now = states()
            return now if len(now) >= self.containers and set(now.values()) == {"healthy"} else None

        try:
            healthy = eventually(all_healthy, "every health check green", timeout=timeout, interval=2)
        except AssertionError:
            say(f"states: {states()}")
            raise
        say(f"healthy: {', '.join(sorted(healthy))}")

    def logs(self) -> None:
        self.run("logs", "--no-color", "--tail", "60", check=False)

    def down(self, volumes: bool = False) -> None:
        self.run("down", *(["-v"] if volumes else []), "--remove-orphans", check=False)


def journey(stack: Stack) -> str:
    admin = {"Authorization": f"Bearer {stack.secrets['ADMIN_TOKEN']}"}
    with httpx.Client(base_url=stack.base, timeout=30) as web:
        # every setting of the file reaches the services, and the container's own layout is kept
        qbt = stack.container("qbt-shim")
        printed = subprocess.run(
            ["docker", "exec", qbt, "sh", "-c", "echo $QBT_POLL_ACTIVE_SECONDS $SERVICE_PORT $DOWNLOAD_ROOT $PUID"],
            capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
        assert printed == ["1", "8000", "/downloads", str(PUID)], printed
        pool = stack.container("pool-allocator")
        limit = subprocess.run(
            ["docker", "exec", pool, "printenv", "POOL_DEVICE_LIMIT"], capture_output=True, text=True
        )
        assert limit.stdout.strip() == "7", limit
        # the service itself (PID 1, after the entrypoint dropped root) runs as PUID
        uid = subprocess.run(["docker", "exec", qbt, "stat", "-c", "%u:%g", "/proc/1"], capture_output=True, text=True)
        assert uid.stdout.strip() == f"{PUID}:{PGID}", uid

        # the pool admin API: a key and a user
        key = web.post("/pool/keys", headers=admin, json={"apiKey": DEMO_TOKEN, "label": "compose"})
        assert key.status_code == 201, key.text
        user = web.post("/pool/users", headers=admin, json={"email": "compose@example.com", "password": "pw-123456"})
        assert user.status_code == 201, user.text
        uuid = user.json()["uuid"]
        say("pool: key and user added")

        # Stremio: streams for The Matrix, and one plays (a redirect to the TorBox CDN)
        config = encode_config(AddonConfig(stores=[StoreConfig(c="tb", auth=uuid)]))
        manifest = web.get(f"/stremio/torz/{config}/manifest.json")
        assert manifest.status_code == 200 and manifest.json()["id"], manifest.text

        def streams() -> list[dict]:
            listed = web.get(f"/stremio/torz/{config}/stream/movie/{MATRIX}.json").json()["streams"]
            return [s for s in listed if s.get("url", "").startswith(stack.base)]

        playable = eventually(streams, "Stremio streams", timeout=60)
        play = web.get(playable[0]["url"], follow_redirects=False)
        assert play.status_code == 302 and play.headers["location"].startswith("http://fakes:9002/"), play.text
        say(f"stremio: {len(playable)} streams, one plays")

        # Jellyfin, told by the notifier when a download is finished
        integrations = {
            "jellyfin": {"enabled": True, "url": "http://fakes:9004", "apiKey": "jellyfin-key-0001"},
            "coalesceSeconds": 1,
        }
        assert web.patch("/settings/integrations", headers=admin, json=integrations).status_code == 200

        # Sonarr's path: a magnet through the qBittorrent API lands in the host's folder, owned by PUID
        login = web.post("/api/v2/auth/login", data={"username": "admin", "password": stack.qbt_password})
        assert login.text == "Ok.", login.text
        magnet = f"magnet:?xt=urn:btih:{MAGNET_HASH}&dn={MAGNET_NAME}"
        assert web.post("/api/v2/torrents/add", data={"urls": magnet, "category": "tv-sonarr"}).text == "Ok."

        def finished() -> dict | None:
            (torrent,) = web.get("/api/v2/torrents/info", params={"hashes": MAGNET_HASH}).json()
            return torrent if torrent["state"] == "stoppedUP" else None

        torrent = eventually(finished, "the magnet downloaded", timeout=90)
        folder = stack.downloads / "tv-sonarr" / MAGNET_NAME
        files = [p for p in folder.rglob("*") if p.is_file()]
        assert files and torrent["content_path"] == f"/downloads/tv-sonarr/{MAGNET_NAME}", (torrent, files)
        for path in [*files, folder, stack.downloads]:
            owner = path.stat()
            assert (owner.st_uid, owner.st_gid) == (PUID, PGID), (path, owner.st_uid, owner.st_gid)
        say(f"qbittorrent: {len(files)} file(s) in {folder}, owned by {PUID}:{PGID}")

        def jellyfin_told() -> list:
            told = httpx.get(f"http://127.0.0.1:{stack.jellyfin_port}/__calls", timeout=5).json()
            return [c for c in told if any(MAGNET_NAME in p for p in c.get("paths") or [])]

        eventually(jellyfin_told, "Jellyfin told of the file", timeout=60)
        say("jellyfin: told of the new file")

        def traced() -> int:
            stats = httpx.get(f"http://127.0.0.1:{stack.jaeger_port}/api/stats", timeout=5).json()
            return stats.get("exports", 0)

        say(f"jaeger: {eventually(traced, 'traces received by Jaeger', timeout=60)} exports received")
        return uuid


def after_restart(stack: Stack, uuid: str) -> None:
    admin = {"Authorization": f"Bearer {stack.secrets['ADMIN_TOKEN']}"}
    with httpx.Client(base_url=stack.base, timeout=30) as web:
        assert web.get(f"/pool/users/{uuid}", headers=admin).status_code == 200
        login = web.post("/api/v2/auth/login", data={"username": "admin", "password": stack.qbt_password})
        assert login.text == "Ok."
        (torrent,) = web.get("/api/v2/torrents/info", params={"hashes": MAGNET_HASH}).json()
        assert torrent["state"] == "stoppedUP"
    say("after down and up: the pool user and the torrent are still there")


def outlive(stack: Stack, uuid: str) -> None:
    """The cluster: one NATS node and one replica of stream-proxy and of pool-allocator killed; Stremio's next
    list still comes through Traefik (from the other replicas, on the two nodes left)."""
    for service in ("nats-3", "stream-proxy-2", "pool-allocator-2"):
        subprocess.run(["docker", "kill", stack.container(service)], check=True, capture_output=True)
    config = encode_config(AddonConfig(stores=[StoreConfig(c="tb", auth=uuid)]))
    with httpx.Client(base_url=stack.base, timeout=30) as web:

        def listed() -> list[dict]:
            answer = web.get(f"/stremio/torz/{config}/stream/series/tt0944947:1:3.json")
            return [s for s in answer.json()["streams"] if s.get("url")] if answer.status_code == 200 else []

        eventually(listed, "streams with a NATS node and two replicas killed", timeout=90)
    say("cluster: a NATS node and a replica of two services killed; streams still listed")


def main() -> int:
    cluster = "--cluster" in sys.argv[1:]
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        raise SystemExit("test-compose: no Docker daemon (on a machine without a registry, run "
                         "../shared/compose-standins/build.sh first)")  # fmt: skip
    say("building the image from deploy/Dockerfile")
    subprocess.run(
        ["docker", "build", "-q", "--network=host", "-f", "deploy/Dockerfile", "-t", "chillproxy:latest", "."],
        cwd=ROOT, check=True, env={**os.environ, "DOCKER_BUILDKIT": os.environ.get("DOCKER_BUILDKIT", "0")},
    )  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="chillproxy-compose-"))
    stack = Stack(work, cluster)
    failed = True
    try:
        say(f"up: project {stack.project}, Traefik on {stack.base}" + (", the cluster file too" if cluster else ""))
        stack.up()
        uuid = journey(stack)
        if cluster:
            outlive(stack, uuid)
        else:
            stack.down()
            stack.up()
            after_restart(stack, uuid)
        failed = False
    finally:
        if failed:
            stack.logs()
        stack.down(volumes=True)
        shutil.rmtree(work, ignore_errors=True)
    say("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
