"""The NATS edge, beside the HTTP one (routes.py): the pool's word that it changed its mind about some users or
keys, heard by every replica (each drops the keys it was granted for them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.datastructures import State

from libs.bus import Listen
from libs.schemas import POOL_CACHE_INVALIDATE, CacheInvalidation

if TYPE_CHECKING:
    from .app import StreamProxy


def proxy_of(state: State) -> StreamProxy:
    return state.proxy


async def pool_changed(state: State, message: CacheInvalidation) -> None:
    proxy_of(state).keys.forget(message)


HANDLERS = [Listen(POOL_CACHE_INVALIDATE, pool_changed)]
