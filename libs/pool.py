"""What every service that borrows a pool key does when TorBox fails on it: tell pool-allocator."""

from __future__ import annotations

from libs.outbox import Emit
from libs.schemas import POOL_KEY_FAILURE, KeyFailure
from libs.telemetry import get_logger
from libs.torbox import TorBoxError

log = get_logger(__name__)


async def report_key_failure(emit: Emit, pool_key_id: str, error: TorBoxError) -> None:
    """`pool.key.failure` for the key's health, through the caller's outbox; a client error is about the
    request, not the key."""
    if error.kind == "client_error":
        return
    failure = KeyFailure(pool_key_id=pool_key_id, status_code=error.status, kind=error.kind, message=error.code)
    try:
        await emit(POOL_KEY_FAILURE, failure)
    except Exception as emit_error:  # the report is lost; the caller's work is not
        log.warning("pool.key.failure not kept", error=type(emit_error).__name__)
