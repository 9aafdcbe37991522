"""Key health: every key checked against TorBox `GET /v1/api/user/me` on an interval, and every failure
other services report on `pool.key.failure`, recorded and turned into a status.

- a success clears consecutive failures: healthy, or degraded while the 24 h failure rate is over the line;
- a 401 (or 403) means the key is not valid: failing at once;
- `failing_after` consecutive failures: failing; a failure rate over the line: degraded;
- `disabled` is the admin's and never changed here.
Users of a key that stops being usable are moved at their next request (their cached answers are dropped).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from libs.bus import Retry
from libs.crypto import SecretBox
from libs.db import DATABASE_AWAY
from libs.leases import Leases
from libs.outbox import Outbox
from libs.schemas import ALERT_RAISED, Alert, KeyFailure
from libs.tasks import every
from libs.telemetry import get_logger
from libs.torbox import TorBoxClient, TorBoxError

from .config import PoolConfig
from .invalidation import Invalidator
from .repository import health as repo
from .repository import keys
from .retry import retrying_transaction

log = get_logger(__name__)

_AUTH_ERRORS = ("unauthorized", "forbidden")


@dataclass(frozen=True)
class Verdict:
    status: str
    reason: str | None
    consecutive_failures: int


def judge(
    current: str, consecutive: int, observation: repo.Observation, requests: int, failures: int, config: PoolConfig
) -> Verdict:
    """The status after one more observation (pure)."""
    if current == "disabled":
        return Verdict("disabled", "disabled by an admin", 0 if observation.ok else consecutive + 1)
    rate = failures / requests if requests else 0.0
    too_many = requests >= config.degraded_min_requests and rate > config.degraded_failure_rate
    rate_reason = f"{rate:.0%} of calls failed in the last 24 h"
    if observation.ok:
        return Verdict("degraded", rate_reason, 0) if too_many else Verdict("healthy", None, 0)
    consecutive += 1
    if observation.error_type in _AUTH_ERRORS:
        return Verdict("failing", f"TorBox refused the key ({observation.http_status})", consecutive)
    if consecutive >= config.failing_after:
        return Verdict("failing", f"{consecutive} calls in a row failed ({observation.error_type})", consecutive)
    if too_many:
        return Verdict("degraded", rate_reason, consecutive)
    return Verdict(current, None if current == "healthy" else rate_reason, consecutive)


def key_alert(pool_key_id: UUID, before: repo.KeyHealth, verdict: Verdict) -> Alert | None:
    """A key going to `failing`, or leaving it, is an alert (degraded is not: it still serves). Pure."""
    if (before.status == "failing") == (verdict.status == "failing") or "disabled" in (before.status, verdict.status):
        return None
    name = f"pool key {before.label!r}" if before.label else f"pool key {str(pool_key_id)[:8]}"
    if verdict.status == "failing":
        title, state = f"{name.capitalize()} is failing", "failing"
        message = f"{verdict.reason}. Its users are moved to other keys at their next request."
    else:
        title, state = f"{name.capitalize()} works again", "recovered"
        message = f"TorBox takes the key again ({verdict.status})."
    return Alert(subject=f"pool-key:{pool_key_id}", state=state, title=title, message=message, source="pool-allocator")


class HealthMonitor:
    def __init__(
        self,
        db: asyncpg.Pool,
        box: SecretBox,
        torbox: TorBoxClient,
        config: PoolConfig,
        invalidator: Invalidator,
        outbox: Outbox | None = None,
    ) -> None:
        self.db = db
        self.box = box
        self.torbox = torbox
        self.config = config
        self.invalidator = invalidator
        self.outbox = outbox  # a key failing or recovering is an alert, written with its status

    async def observe(self, observation: repo.Observation) -> Verdict:
        async def attempt(conn: asyncpg.Connection) -> tuple[str, Verdict] | None:
            pool = await repo.lock(conn, observation.pool_key_id)
            if pool is None:
                return None
            consecutive = 0 if observation.ok else pool.consecutive_failures + 1
            totals = await repo.record(conn, observation, consecutive)
            if totals is None:  # a report delivered again: already counted
                return pool.status, Verdict(pool.status, None, pool.consecutive_failures)
            requests, failures, average_ms = totals
            verdict = judge(pool.status, pool.consecutive_failures, observation, requests, failures, self.config)
            await repo.update_pool(
                conn,
                observation.pool_key_id,
                ok=observation.ok,
                status=verdict.status,
                reason=verdict.reason,
                consecutive_failures=verdict.consecutive_failures,
                requests=requests,
                failures=failures,
                average_ms=average_ms,
            )
            alert = key_alert(observation.pool_key_id, pool, verdict)
            if alert is not None and self.outbox is not None:
                await self.outbox.add(ALERT_RAISED, alert, conn)
            return pool.status, verdict

        result = await retrying_transaction(self.db, attempt)
        if result is None:
            return Verdict("unknown", "no such key", 0)
        before, verdict = result
        if before != verdict.status:
            log.info(
                "pool key status changed", pool_key_id=str(observation.pool_key_id), was=before, now=verdict.status
            )
            await self.invalidator.keys([observation.pool_key_id])
        return verdict

    async def check(self, pool_key_id: UUID, key: str) -> Verdict:
        try:
            _, elapsed = await self.torbox.me(key)
            observation = repo.Observation(pool_key_id, "health_check", True, 200, round(elapsed))
        except TorBoxError as error:
            observation = repo.Observation(
                pool_key_id,
                "health_check",
                False,
                error.status,
                None,
                error.kind,
                f"{error.code}: {error.detail}"[:500],
            )
        return await self.observe(observation)

    async def check_all(self) -> dict[UUID, Verdict]:
        rows = await keys.encrypted_keys(self.db)
        limit = asyncio.Semaphore(8)

        async def one(row) -> tuple[UUID, Verdict]:
            async with limit:
                return row.id, await self.check(row.id, self.box.decrypt(row.api_key))

        return dict(await asyncio.gather(*(one(row) for row in rows)))

    async def on_reports(self, reports: Sequence[KeyFailure]) -> None:
        """The `pool.key.failure` consumer: each report counts as a failed call with that key."""
        try:
            for report in reports:
                try:
                    pool_key_id = UUID(report.pool_key_id)
                except ValueError:
                    log.error("key failure report dropped: poolKeyId is not a UUID", event_id=report.id)
                    continue
                await self.observe(
                    repo.Observation(
                        pool_key_id,
                        "reported",
                        False,
                        report.status_code,
                        None,
                        report.kind,
                        report.message[:500],
                        endpoint="reported",
                        id=report.row_id,
                    )
                )
        except DATABASE_AWAY as error:
            raise Retry(5.0, f"database unavailable: {type(error).__name__}") from error

    async def run(self, interval: float, lease: Leases | None = None) -> None:
        """Every key checked once per round across replicas (TorBox is asked once, not once per replica)."""
        await every(interval, self.check_all, what="health checks", first_now=True, lease=lease)
