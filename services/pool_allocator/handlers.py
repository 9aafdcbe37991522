"""The NATS edge: subjects decoded into Structs by the bus, answered by the services behind."""

from __future__ import annotations

from libs.bus import HandlerError
from libs.schemas import PoolKeyReply, PoolKeyRequest

from .allocator import Allocator, InvalidUserId


def get_key_handler(allocator: Allocator):
    async def handle(request: PoolKeyRequest) -> PoolKeyReply:
        try:
            return await allocator.get_key(request)
        except InvalidUserId as error:
            raise HandlerError(400, "invalid_user_id", str(error)) from None

    return handle
