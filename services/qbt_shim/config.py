"""qbt-shim's own settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from libs.config import env_float, env_int

# What we say we are: qBittorrent 5.1.x (WebAPI 2.11.4): Sonarr then reads content_path and sends `stopped`
APP_VERSION = "v5.1.4"
WEBAPI_VERSION = "2.11.4"


@dataclass(frozen=True)
class ShimConfig:
    poll_active_seconds: float = 10.0  # TorBox's list read this often while anything is in the cloud
    poll_idle_seconds: float = 60.0
    downloads_at_once: int = 3  # files fetched at the same time
    chunk_bytes: int = 1 << 20
    stall_seconds: float = 60.0  # no byte for this long: the connection is cut and resumed
    ban_after: int = 5  # failed logins from one address (qBittorrent's default)
    ban_seconds: float = 3600.0
    session_seconds: float = 3600.0
    limit_retry_seconds: float = 60.0  # a torrent TorBox refused for a full account is offered again after this
    outage_retry_seconds: float = 30.0  # and one it could not take (down, or answering what is not its API)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ShimConfig:
        return cls(
            poll_active_seconds=env_float(env, "QBT_POLL_ACTIVE_SECONDS", cls.poll_active_seconds),
            poll_idle_seconds=env_float(env, "QBT_POLL_IDLE_SECONDS", cls.poll_idle_seconds),
            downloads_at_once=env_int(env, "QBT_DOWNLOADS_AT_ONCE", cls.downloads_at_once),
            ban_after=env_int(env, "QBT_BAN_AFTER_FAILURES", cls.ban_after),
            ban_seconds=env_float(env, "QBT_BAN_SECONDS", cls.ban_seconds),
        )
