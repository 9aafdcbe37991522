"""qbt-shim's own settings (`libs.config.service_settings` reads the ones that name a variable)."""

from __future__ import annotations

import msgspec
from msgspec import field

# What we say we are: qBittorrent 5.1.x (WebAPI 2.11.4): Sonarr then reads content_path and sends `stopped`
APP_VERSION = "v5.1.4"
WEBAPI_VERSION = "2.11.4"


class ShimConfig(msgspec.Struct, frozen=True, kw_only=True):
    poll_active_seconds: float = field(default=10.0, name="QBT_POLL_ACTIVE_SECONDS")  # TorBox's list, while busy
    poll_idle_seconds: float = field(default=60.0, name="QBT_POLL_IDLE_SECONDS")
    downloads_at_once: int = field(default=3, name="QBT_DOWNLOADS_AT_ONCE")  # files fetched at the same time
    chunk_bytes: int = 1 << 20
    stall_seconds: float = 60.0  # no byte for this long: the connection is cut and resumed
    ban_after: int = field(default=5, name="QBT_BAN_AFTER_FAILURES")  # failed logins (qBittorrent's default)
    ban_seconds: float = field(default=3600.0, name="QBT_BAN_SECONDS")
    session_seconds: float = 3600.0
    limit_retry_seconds: float = 60.0  # a torrent TorBox refused for a full account is offered again after this
    outage_retry_seconds: float = 30.0  # and one it could not take (down, or answering what is not its API)
