"""The TorBox key the shim works with: a configured token (QBT_TORBOX_TOKEN), or the key the pool gives
its user (QBT_POOL_USER), asked again at most once a minute and reported when TorBox refuses it."""

from __future__ import annotations

import time

from libs.bus import Bus, BusError, BusUnavailable
from libs.outbox import Emit
from libs.pool import report_key_failure
from libs.schemas import POOL_KEY_GET, PoolKeyRequest
from libs.torbox import TorBoxError

DEVICE_ID = "qbt-shim"


class NoKey(Exception):
    """No TorBox key right now; `str()` says why."""


class ShimKey:
    def __init__(
        self, bus: Bus, emit: Emit, token: str | None, pool_user: str | None, refresh_seconds: float = 60.0
    ) -> None:
        self.bus = bus
        self.emit = emit  # where failure reports go: the shim's outbox
        self.token = token
        self.pool_user = pool_user
        self.refresh = refresh_seconds
        self._pool_key: tuple[float, str, str] | None = None  # (until, key, pool key id)

    @property
    def configured(self) -> bool:
        return bool(self.token or self.pool_user)

    async def get(self) -> str:
        if self.token:
            return self.token
        if not self.pool_user:
            raise NoKey("no TorBox key: set QBT_TORBOX_TOKEN or QBT_POOL_USER")
        if self._pool_key is not None and self._pool_key[0] > time.monotonic():
            return self._pool_key[1]
        request = PoolKeyRequest(user_id=self.pool_user, device_id=DEVICE_ID, action="download")
        try:
            reply = await self.bus.request(POOL_KEY_GET, request, timeout=5.0)
        except (BusUnavailable, BusError) as error:
            raise NoKey(f"the key pool did not answer ({type(error).__name__})") from None
        if not reply.allowed or not reply.pool_key or not reply.pool_key_id:
            raise NoKey(f"the key pool refused: {reply.message}")
        self._pool_key = (time.monotonic() + self.refresh, reply.pool_key, reply.pool_key_id)
        return reply.pool_key

    async def failed(self, error: TorBoxError) -> None:
        """TorBox refused or failed on the pool's key: forget it and tell the pool."""
        if self._pool_key is None or error.kind == "client_error":
            return
        pool_key_id = self._pool_key[2]
        if error.kind == "unauthorized":
            self._pool_key = None  # the pool moves us to another key on the next ask
        await report_key_failure(self.emit, pool_key_id, error)
