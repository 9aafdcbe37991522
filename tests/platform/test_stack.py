"""`make run`'s launcher on a fresh data folder: everything healthy, the URLs printed, Ctrl-C stops every
child, the next run finds the data of the first, and a service that crashes is started again."""

import json
import signal
from pathlib import Path

import asyncpg
import httpx
import nats
import psutil
import pytest

from libs.embedded import free_port
from tests.support.asgi import eventually
from tests.support.launcher import Launcher, all_gone

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def launcher_factory(tmp_path):
    started: list[Launcher] = []

    def start(port: int, **extra: str) -> Launcher:
        launcher = Launcher(tmp_path / "var", port, **extra)
        started.append(launcher)
        return launcher

    yield start
    for launcher in started:
        if launcher.process.poll() is None:
            launcher.process.kill()


async def test_run_stop_and_run_again(launcher_factory, tmp_path):
    port = free_port()
    first = launcher_factory(port)
    first.wait_for("Chillproxy is up.")
    printed = "".join(first.output)
    assert "waiting for:" in printed and "✓ qbt-shim healthy" in printed
    first.wait_for("Press Ctrl-C to stop.")
    printed = "".join(first.output)
    for url in ("/stremio/torz/manifest.json", "/widget", "/settings/integrations/", f"port {port}"):
        assert url in printed
    secrets = (tmp_path / "var" / "secrets.json").read_text()
    assert json.loads(secrets)["ADMIN_TOKEN"] not in printed

    state = json.loads((tmp_path / "var" / "stack.json").read_text())
    async with httpx.AsyncClient(timeout=5) as client:
        for name, service_port in state["services"].items():
            response = await client.get(f"http://127.0.0.1:{service_port}/health")
            assert response.status_code == 200, name
        response = await client.get(f"http://127.0.0.1:{port}/no/such/thing")
        assert response.status_code == 404 and response.json()["error"] == "not_found"

    conn = await asyncpg.connect(state["databaseUrl"])
    await conn.execute("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives')")
    await conn.close()
    nc = await nats.connect(state["natsUrl"])
    await nc.jetstream().publish("pool.usage", b"{}", stream="POOL_USAGE")
    await nc.close()

    children = first.stop(signal.SIGINT)
    assert len(children) >= 8  # NATS, PostgreSQL, Traefik and the five services
    assert all_gone(children)
    assert not (tmp_path / "var" / "stack.json").exists()

    second = launcher_factory(port)
    second.wait_for("Press Ctrl-C to stop.")
    assert (tmp_path / "var" / "secrets.json").read_text() == secrets
    state = json.loads((tmp_path / "var" / "stack.json").read_text())
    conn = await asyncpg.connect(state["databaseUrl"])
    assert await conn.fetchval("SELECT v FROM kept") == "survives"
    await conn.close()
    nc = await nats.connect(state["natsUrl"])
    assert (await nc.jetstream().stream_info("POOL_USAGE")).state.messages == 1
    await nc.close()

    # a service that crashes is started again by itself, and leaves no worker process behind
    (proxy,) = [
        p for p in psutil.Process(second.process.pid).children(recursive=True)
        if p.cmdline()[-1:] == ["services.stream_proxy"]
    ]  # fmt: skip
    workers = proxy.children(recursive=True)
    assert len(workers) == 2  # its two title-parsing workers
    proxy.kill()
    second.wait_for("stream-proxy exited")
    health = f"http://127.0.0.1:{state['services']['stream-proxy']}/health"

    async def answers_again() -> bool:
        async with httpx.AsyncClient(timeout=5) as client:
            try:
                return (await client.get(health)).status_code == 200
            except httpx.HTTPError:
                return False

    await eventually(answers_again, timeout=60)
    await eventually(lambda: all_gone(workers), timeout=30)
    assert all_gone(second.stop(signal.SIGTERM))


def test_a_busy_port_is_a_clear_error(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        launcher = Launcher(tmp_path / "var", busy.getsockname()[1])
        assert launcher.process.wait(60) == 1
        assert "is in use: set CHILLPROXY_PORT" in launcher.process.stdout.read()


async def test_replicas_of_every_service_share_the_requests_behind_traefik(launcher_factory, tmp_path):
    port = free_port()
    launcher = launcher_factory(port, CHILLPROXY_REPLICAS="2")
    launcher.wait_for("Press Ctrl-C to stop.", timeout=240)
    state = json.loads((tmp_path / "var" / "stack.json").read_text())
    assert len(state["replicas"]) == 10 and "notifier#2" in state["replicas"]
    async with httpx.AsyncClient(timeout=10) as client:
        for label, replica_port in state["replicas"].items():
            assert (await client.get(f"http://127.0.0.1:{replica_port}/health")).status_code == 200, label
        for _ in range(20):
            answer = await client.get(f"http://127.0.0.1:{port}/stremio/torz/manifest.json")
            assert answer.status_code == 200
    logs = tmp_path / "var" / "logs"
    for replica in ("stream-proxy#1", "stream-proxy#2"):  # Traefik sent requests to both
        assert '"route":"/stremio/torz/manifest.json"' in (logs / f"{replica}.log").read_text(), replica
    children = launcher.stop(signal.SIGINT)
    assert len(children) >= 13  # NATS, PostgreSQL, Traefik and ten service processes
    assert all_gone(children)
