"""Which TorBox key serves a request: the user's own token, or one from the pool (`pool.key.get`).

With both, the pool is asked first and the token is the fallback when the pool refuses or does not answer
in time. A refusal reaches the user as a sentence, never as an exception.

A key the pool granted a device for listing streams is reused for a few seconds (`grant_seconds`): a warm list
is then a lookup here, not a NATS round trip. A play always asks the pool (it opens a stream session there),
and the pool's own invalidations (a user disabled, a key failing or moved: `pool.cache.invalidate`) drop
what is kept here at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from libs.bus import Bus, BusError, BusUnavailable
from libs.cache import BoundedCache
from libs.outbox import Emit
from libs.pool import report_key_failure
from libs.schemas import POOL_KEY_GET, CacheInvalidation, PoolKeyRequest
from libs.schemas.stremio import AddonConfig
from libs.telemetry import get_logger
from libs.torbox import TorBoxError

from .client import Client

log = get_logger(__name__)
MAX_GRANTS = 50_000  # (user, device) grants kept (the oldest go first)


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
    def __init__(self, bus: Bus, emit: Emit, timeout: float = 2.0, grant_seconds: float = 20.0) -> None:
        self.bus = bus
        self.emit = emit  # where failure reports go: the service's outbox
        self.timeout = timeout
        # (user, device) → the key the pool granted it for listing, while young
        self._granted: BoundedCache[tuple[str, str], UserKey] = BoundedCache(MAX_GRANTS, grant_seconds)

    def forget(self, message: CacheInvalidation) -> None:
        """The pool changed its mind about these users or keys (or everything): ask it again."""
        if message.everything:
            self._granted.clear()
            return
        users, keys = set(message.user_ids), set(message.pool_key_ids)
        for slot in self._granted.keys():
            granted = self._granted.get(slot)
            if slot[0] in users or (granted is not None and granted.pool_key_id in keys):
                self._granted.pop(slot)

    async def key_for(self, config: AddonConfig, client: Client, action: str, torrent_hash: str | None = None):
        store = config.stores[0]
        if store.auth is None:
            assert store.t is not None  # decode_config ensures one of the two
            return UserKey(key=store.t)
        device = client.device_id
        slot = (store.auth, device)
        if action == "search" and (granted := self._granted.get(slot)) is not None:
            return granted
        request = PoolKeyRequest(user_id=store.auth, device_id=device, action=action, hash=torrent_hash)
        try:
            reply = await self.bus.request(POOL_KEY_GET, request, timeout=self.timeout)
        except (BusUnavailable, BusError) as error:
            log.warning("pool did not answer", error=type(error).__name__)
            if store.t:
                return UserKey(key=store.t, device_id=device)
            raise KeyRefused("the Chillproxy key pool is not answering right now; try again in a minute") from None
        if reply.allowed and reply.pool_key and reply.pool_key_id:
            key = UserKey(key=reply.pool_key, device_id=device, user_id=store.auth, pool_key_id=reply.pool_key_id)
            if action == "search":
                self._granted.set(slot, key)
            return key
        if store.t:
            return UserKey(key=store.t, device_id=device)
        raise KeyRefused(reply.message or "the Chillproxy account was refused a TorBox key")

    async def report_failure(self, key: UserKey, error: TorBoxError) -> None:
        """A pool key TorBox refused or failed on counts against its health (`pool.key.failure`)."""
        if key.pool_key_id is None:
            return  # the user's own token is theirs to fix
        await report_key_failure(self.emit, key.pool_key_id, error)
