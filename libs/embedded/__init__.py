"""The embedded servers (NATS, PostgreSQL, Traefik from PyPI wheels) that `make run` and the tests start."""

from .nats import EmbeddedNats, NatsCluster
from .postgres import EmbeddedPostgres
from .process import ManagedProcess, ProcessExited, free_port, port_open, wait_for
from .traefik import EmbeddedTraefik

__all__ = [
    "EmbeddedNats",
    "EmbeddedPostgres",
    "EmbeddedTraefik",
    "ManagedProcess",
    "NatsCluster",
    "ProcessExited",
    "free_port",
    "port_open",
    "wait_for",
]
