import json
import logging
from contextlib import asynccontextmanager

import httpx
from opentelemetry import trace
from starlette.requests import Request
from starlette.routing import Mount, Route

from libs.bus import HandlerError
from libs.schemas import POOL_KEY_GET, PoolKeyReply, PoolKeyRequest
from libs.telemetry import get_logger
from libs.web import create_app, json_response, runtime_of
from tests.conftest import make_settings
from tests.support.asgi import serving


def test_one_json_line_per_event_with_service_and_trace(log_lines):
    log = get_logger("t")
    with trace.get_tracer("t").start_as_current_span("work") as span:
        log.info("did something", items=3)
    logging.getLogger("uvicorn.error").warning("from the standard library")
    first, second = log_lines()
    assert first["event"] == "did something" and first["items"] == 3 and first["level"] == "info"
    assert first["service"] == "tests"
    assert first["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert first["span_id"] == format(span.get_span_context().span_id, "016x")
    assert second["event"] == "from the standard library" and second["service"] == "tests"


def test_secret_fields_are_masked(log_lines):
    get_logger("t").info("calling", api_key="tb-secret-123", token="abc", password="pw", kept="visible")
    (line,) = log_lines()
    assert "tb-secret-123" not in json.dumps(line) and line["api_key"] == "***"
    assert line["token"] == "***" and line["password"] == "***" and line["kept"] == "visible"


def test_secrets_inside_text_are_masked_in_library_lines_too(log_lines):
    logging.getLogger("httpx").info(
        'HTTP Request: GET http://tb/v1/api/torrents/requestdl?token=tb-secret-1&torrent_id=3 "HTTP/1.1 200 OK"'
    )
    get_logger("t").warning("fetch failed", url="http://prowlarr/1/download?apikey=pk-secret-2&file=x")
    get_logger("t").info("to http://admin:pw-secret-3@host/x with Bearer tok-secret-4")
    lines = log_lines()
    text = json.dumps(lines)
    for secret in ("tb-secret-1", "pk-secret-2", "pw-secret-3", "tok-secret-4"):
        assert secret not in text
    assert "torrent_id=3" in lines[0]["event"] and lines[1]["url"].endswith("apikey=***&file=x")


def test_exceptions_are_structured(log_lines):
    try:
        raise ValueError("bad")
    except ValueError:
        get_logger("t").exception("failed")
    (line,) = log_lines()
    assert line["exception"][0]["exc_type"] == "ValueError"


async def test_one_trace_across_http_and_nats(tmp_path, fresh_dsn, nats_url, spans, log_lines):
    """stream-proxy's HTTP request asks pool-allocator over NATS: both services' spans share one trace, and
    pool-allocator's log line carries it."""
    env = {"DATABASE_URL": fresh_dsn, "NATS_URL": nats_url}

    async def get_key(request: PoolKeyRequest) -> PoolKeyReply:
        get_logger("pool").info("key requested", user=request.user_id)
        if request.user_id == "nobody":
            raise HandlerError(404, "unknown_user", "no such user")
        return PoolKeyReply(allowed=True, device_count=1, message="ok")

    @asynccontextmanager
    async def pool_setup(runtime):
        sub = await runtime.bus.serve(POOL_KEY_GET, get_key, queue="trace-test")
        yield
        await sub.unsubscribe()

    async def stream(request: Request):
        reply = await runtime_of(request).bus.request(
            POOL_KEY_GET, PoolKeyRequest(user_id=request.path_params["user"], device_id="d", action="stream")
        )
        return json_response(reply)

    pool = create_app("pool-allocator", make_settings(tmp_path / "a", **env), setup=pool_setup)
    proxy = create_app(
        "stream-proxy",
        make_settings(tmp_path / "b", **env),
        routes=[Mount("/stremio", routes=[Route("/{user}", stream)])],
    )
    async with serving(pool), serving(proxy) as base, httpx.AsyncClient(base_url=base) as client:
        response = await client.get("/stremio/u-1")
    assert response.status_code == 200 and response.json()["allowed"] is True

    finished = spans.get_finished_spans()
    server = next(s for s in finished if s.name == "GET /stremio/{user}")
    trace_id = server.context.trace_id
    in_trace = [s for s in finished if s.context.trace_id == trace_id]
    scopes = {s.instrumentation_scope.name for s in in_trace}
    assert {"stream-proxy", "pool-allocator"} <= scopes
    handled = next(s for s in in_trace if s.name == "process pool.key.get")
    assert handled.instrumentation_scope.name == "pool-allocator"
    sent = next(s for s in in_trace if s.name == "send pool.key.get")
    assert handled.parent.span_id == sent.context.span_id and sent.parent.span_id == server.context.span_id

    (line,) = [entry for entry in log_lines() if entry["event"] == "key requested"]
    assert line["service"] == "pool-allocator"
    assert line["trace_id"] == format(trace_id, "032x")
    request_lines = [e for e in log_lines() if e["event"] == "request" and e["service"] == "stream-proxy"]
    assert request_lines and request_lines[0]["route"] == "/stremio/{user}" and "u-1" not in json.dumps(request_lines)


async def test_spans_are_exported_over_otlp_http_when_an_endpoint_is_set(tmp_path):
    """In a fresh process (the test process already has its provider): configure_tracing with an endpoint
    posts protobuf spans to <endpoint>/v1/traces."""
    import asyncio
    import sys

    received: list[tuple[str, str, int]] = []

    async def receiver(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        headers = dict(line.split(": ", 1) for line in head.split("\r\n")[1:] if ": " in line)
        length = int(headers.get("Content-Length", headers.get("content-length", "0")))
        body = await reader.readexactly(length)
        received.append((head.split(" ")[1], headers.get("Content-Type", headers.get("content-type")), len(body)))
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(receiver, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    script = (
        "from libs.telemetry import configure_tracing, tracer\n"
        f"provider = configure_tracing('exporter-test', 'http://127.0.0.1:{port}')\n"
        "with tracer('exporter-test').start_as_current_span('exported'): pass\n"
        "provider.shutdown()\n"
    )
    async with server:
        process = await asyncio.create_subprocess_exec(sys.executable, "-c", script)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    assert received and received[0][0] == "/v1/traces"
    assert received[0][1] == "application/x-protobuf" and received[0][2] > 0


def test_tracebacks_never_carry_local_variables(log_lines):
    def connect(dsn: str) -> None:
        secret_password = "hunter2-in-a-local"  # noqa: F841 (what a traceback with locals would show)
        raise ConnectionError("refused")

    try:
        connect("postgresql://user:pw-in-an-argument@db/x")
    except ConnectionError:
        get_logger("t").exception("connect failed")
    (line,) = log_lines()
    text = json.dumps(line)
    assert "hunter2-in-a-local" not in text and "pw-in-an-argument" not in text
    assert line["exception"][0]["exc_type"] == "ConnectionError"
