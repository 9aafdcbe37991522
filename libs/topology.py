"""The five services: their names, modules, default ports and the public path prefixes each owns.

One table read by `make run`, the Traefik test and the tests that start services, so a prefix or a port is
written down once.
"""

from __future__ import annotations

import msgspec


class ServiceInfo(msgspec.Struct, frozen=True):
    name: str
    module: str
    port: int
    prefixes: tuple[str, ...]

    @property
    def env_prefix(self) -> str:
        """`stream-proxy` → `STREAM_PROXY`, for the `<NAME>_URL` variables Traefik reads."""
        return self.name.upper().replace("-", "_")


SERVICES: tuple[ServiceInfo, ...] = (
    ServiceInfo("stream-proxy", "services.stream_proxy", 8101, ("/stremio",)),
    ServiceInfo("pool-allocator", "services.pool_allocator", 8102, ("/pool", "/api/v1/internal/pool")),
    ServiceInfo("indexer-stats", "services.indexer_stats", 8103, ("/indexers",)),
    ServiceInfo("notifier", "services.notifier", 8104, ("/settings/integrations", "/downloads", "/hooks")),
    ServiceInfo("qbt-shim", "services.qbt_shim", 8105, ("/api/v2", "/widget")),
)

BY_NAME: dict[str, ServiceInfo] = {s.name: s for s in SERVICES}


def owner_of(path: str) -> ServiceInfo | None:
    """The service Traefik sends `path` to: a prefix matches itself or anything below it."""
    for service in SERVICES:
        for prefix in service.prefixes:
            if path == prefix or path.startswith(prefix + "/"):
                return service
    return None
