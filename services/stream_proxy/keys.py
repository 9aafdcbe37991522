"""Which TorBox key serves a request: the user's own token, or one from the pool (`pool.key.get`).

With both, the pool is asked first and the token is the fallback when the pool refuses or does not answer
in time. A refusal reaches the user as a sentence, never as an exception.
"""

from __future__ import annotations

from dataclasses import dataclass

from libs.bus import Bus, BusError, BusUnavailable
from libs.outbox import Emit
from libs.pool import report_key_failure
from libs.schemas import POOL_KEY_GET, PoolKeyRequest
from libs.schemas.stremio import AddonConfig
from libs.telemetry import get_logger
from libs.torbox import TorBoxError

from .client import Client

log = get_logger(__name__)


@dataclass(frozen=True)
class UserKey:
    key: str
    device_id: str = ""  # pool mode only, like the two below: what the pool counts devices by
    user_id: str | None = None  # pool mode only: the account and key usage is reported against
    pool_key_id: str | None = None

    @property
    def from_pool(self) -> bool:
        return self.pool_key_id is not None


class KeyRefused(Exception):
    """No key for this request; `str()` says why, for the user."""


class KeySource:
    def __init__(self, bus: Bus, emit: Emit, timeout: float = 2.0) -> None:
        self.bus = bus
        self.emit = emit  # where failure reports go: the service's outbox
        self.timeout = timeout

    async def key_for(self, config: AddonConfig, client: Client, action: str, torrent_hash: str | None = None):
        store = config.stores[0]
        if store.auth is None:
            assert store.t is not None  # decode_config ensures one of the two
            return UserKey(key=store.t)
        device = client.device_id
        request = PoolKeyRequest(user_id=store.auth, device_id=device, action=action, hash=torrent_hash)
        try:
            reply = await self.bus.request(POOL_KEY_GET, request, timeout=self.timeout)
        except (BusUnavailable, BusError) as error:
            log.warning("pool did not answer", error=type(error).__name__)
            if store.t:
                return UserKey(key=store.t, device_id=device)
            raise KeyRefused("the Chillproxy key pool is not answering right now; try again in a minute") from None
        if reply.allowed and reply.pool_key and reply.pool_key_id:
            return UserKey(key=reply.pool_key, device_id=device, user_id=store.auth, pool_key_id=reply.pool_key_id)
        if store.t:
            return UserKey(key=store.t, device_id=device)
        raise KeyRefused(reply.message or "the Chillproxy account was refused a TorBox key")

    async def report_failure(self, key: UserKey, error: TorBoxError) -> None:
        """A pool key TorBox refused or failed on counts against its health (`pool.key.failure`)."""
        if key.pool_key_id is None:
            return  # the user's own token is theirs to fix
        await report_key_failure(self.emit, key.pool_key_id, error)
