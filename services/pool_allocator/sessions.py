"""`pool.stream.start` / `pool.stream.end`: a key serves at most `max_concurrent_streams` streams at once.

A session nobody ends (Stremio never says when playback stops) is closed after a TTL by a sweep that also
sets each swept pool's counter to the sessions still open.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from libs.bus import HandlerError
from libs.leases import Leases
from libs.schemas import StreamEnd, StreamEndReply, StreamStart, StreamStartReply
from libs.tasks import every
from libs.telemetry import get_logger

from .repository import sessions as repo
from .retry import retrying_transaction

log = get_logger(__name__)


def _uuid(raw: str, field: str) -> UUID:
    try:
        return UUID(raw)
    except (ValueError, TypeError):
        raise HandlerError(400, "invalid_id", f"{field} must be a UUID") from None


class StreamSessions:
    def __init__(self, db: asyncpg.Pool, ttl_minutes: int) -> None:
        self.db = db
        self.ttl_minutes = ttl_minutes

    async def start(self, request: StreamStart) -> StreamStartReply:
        user_id = _uuid(request.user_id, "userId")
        pool_key_id = _uuid(request.pool_key_id, "poolKeyId")

        async def attempt(conn: asyncpg.Connection) -> StreamStartReply:
            pool = await repo.lock_pool_streams(conn, pool_key_id)
            if pool is None:
                return StreamStartReply(allowed=False, message="unknown pool key")
            slot_id = await repo.held_slot_on(conn, user_id, pool_key_id)
            if slot_id is None:
                return StreamStartReply(allowed=False, message="this key is not assigned to you: ask for a key first")
            if pool.current_concurrent_streams >= pool.max_concurrent_streams:
                return StreamStartReply(
                    allowed=False,
                    pool_key_id=str(pool_key_id),
                    message=f"all {pool.max_concurrent_streams} streams of this key are in use; "
                    "try again in a few minutes",
                )
            session_id = await repo.open_session(
                conn, pool_key_id, user_id, slot_id, request.device_id[:128], request.hash
            )
            return StreamStartReply(
                allowed=True, session_id=str(session_id), pool_key_id=str(pool_key_id), message="ok"
            )

        return await retrying_transaction(self.db, attempt)

    async def end(self, request: StreamEnd) -> StreamEndReply:
        session_id = _uuid(request.session_id, "sessionId")

        async def attempt(conn: asyncpg.Connection) -> bool:
            pool_key_id = await repo.session_pool(conn, session_id)
            if pool_key_id is None:
                return False
            await repo.lock_pool_streams(conn, pool_key_id)
            return await repo.close_session(conn, session_id, pool_key_id)

        return StreamEndReply(closed=await retrying_transaction(self.db, attempt))

    async def sweep(self) -> int:
        expired = 0
        for pool_key_id in await repo.pools_with_expired_sessions(self.db, self.ttl_minutes):

            async def attempt(conn: asyncpg.Connection, pool_key_id: UUID = pool_key_id) -> int:
                await repo.lock_pool_streams(conn, pool_key_id)
                return await repo.expire_and_recount(conn, pool_key_id, self.ttl_minutes)

            expired += await retrying_transaction(self.db, attempt)
        if expired:
            log.info("stream sessions expired", count=expired)
        return expired

    async def run(self, interval: float, lease: Leases | None = None) -> None:
        await every(interval, self.sweep, what="session sweep", lease=lease)
