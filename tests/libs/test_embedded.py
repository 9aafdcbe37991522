"""The embedded servers start on a port of their own even when the one they picked is taken meanwhile."""

import socket

from libs.embedded import EmbeddedNats, EmbeddedPostgres


def occupied() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def test_postgres_moves_to_a_free_port_when_its_port_is_taken(tmp_path):
    with occupied() as taken:
        port = taken.getsockname()[1]
        server = EmbeddedPostgres(tmp_path / "pg", port=port, durable=False).start()
        try:
            assert server.port != port and server.process.running and server.ready()
        finally:
            server.stop()
        assert not server.process.running


def test_nats_moves_to_a_free_port_when_its_port_is_taken(tmp_path):
    with occupied() as taken:
        port = taken.getsockname()[1]
        server = EmbeddedNats(tmp_path / "nats", port=port).start()
        try:
            assert server.port != port and server.process.running and server.healthy()
        finally:
            server.stop()
