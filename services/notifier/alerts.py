"""Alerts, from `alert.raised` (every service's) to the household's targets.

Which are told (`decide`, pure): a subject's first failure, and every change of its state after that — a
subject that keeps failing is told once; a recovery nobody heard the failure of is not told; and no more
than one alert per subject per quiet period (`alertQuietMinutes`, 15): a change within it waits for its
end and is told then if it still holds (a key that fails and recovers within a minute says nothing more
until the quarter of an hour is over, then says "recovered" only if it did). Each accepted alert gets one
delivery per enabled target, kept in PostgreSQL and sent until it goes through (back-off from 10 s to an
hour, or what a 429 asks); a target removed since drops its deliveries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

import asyncpg
import httpx
import msgspec

from libs.db import transaction
from libs.errors import NotFound
from libs.schemas import Alert
from libs.schemas.notifier import AlertDelivery, AlertsView, AlertTarget, ConnectionTest, SentAlert
from libs.tasks import log_failure, nap
from libs.telemetry import get_logger

from . import alert_repository as repo
from .alert_senders import SendFailed, send
from .settings import SettingsStore

log = get_logger(__name__)
Decision = Literal["send", "hold", "drop"]
SEND_HOLD_SECONDS = 60.0  # a delivery being sent is this replica's for so long
IDLE_SECONDS = 60.0


def decide(told_state: str | None, told_at: datetime | None, state: str, now: datetime, quiet: timedelta) -> Decision:
    """Whether an alert of `state` is told now, waits for the quiet period to end, or is not told. Pure."""
    if state == told_state:
        return "drop"  # told already (and a change waiting since is void: it is back)
    if told_state is None and state == "recovered":
        return "drop"  # nobody was told it failed
    if told_at is None or now - told_at >= quiet:
        return "send"
    return "hold"


def backoff_seconds(attempts: int) -> float:
    return min(3600.0, 10.0 * 2 ** max(0, attempts - 1))


class Alerts:
    def __init__(self, db: asyncpg.Pool, http: httpx.AsyncClient, settings: SettingsStore) -> None:
        self.db = db
        self.http = http
        self.settings = settings
        self._wake = asyncio.Event()

    async def raised(self, alerts: Sequence[Alert]) -> None:
        """`alert.raised` events (and the notifier's own): each decided in its own transaction."""
        if not alerts:
            return
        settings = await self.settings.get()
        quiet = timedelta(minutes=settings.alert_quiet_minutes)
        targets = [t.name for t in settings.alert_targets if t.enabled]
        for alert in alerts:
            async with transaction(self.db) as conn:
                subject = await repo.lock_subject(conn, alert.subject)
                now = datetime.now(UTC)
                decision = decide(subject.sent_state, subject.sent_at, alert.state, now, quiet)
                if decision == "send":
                    await repo.accept(conn, alert, targets, now)
                elif decision == "hold":
                    await repo.hold(conn, alert, subject.sent_at + quiet)  # type: ignore[operator]
                else:
                    await repo.clear_pending(conn, alert.subject)
            log.info("alert", subject=alert.subject, state=alert.state, decision=decision)
        self._wake.set()

    async def run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self._promote_due()
                await self.deliver()
                delay = await repo.seconds_until_due(self.db)
            except Exception as error:  # the database away: the next round tries again
                log_failure(log, "alert round failed; will retry", error)
                delay = 5.0
            await nap(max(0.2, min(IDLE_SECONDS, IDLE_SECONDS if delay is None else delay)), self._wake)

    async def _promote_due(self) -> None:
        """Changes whose quiet period has ended, told now."""
        settings = await self.settings.get()
        targets = [t.name for t in settings.alert_targets if t.enabled]
        async with transaction(self.db) as conn:
            for alert in await repo.due_pending(conn, datetime.now(UTC)):
                await repo.accept(conn, alert, targets, datetime.now(UTC))

    async def deliver(self) -> None:
        due = await repo.claim_deliveries(self.db, datetime.now(UTC), SEND_HOLD_SECONDS)
        if not due:
            return
        targets = {t.name: t for t in (await self.settings.get()).alert_targets}
        await asyncio.gather(*(self._deliver(row, targets) for row in due))

    async def _deliver(self, row: repo.DueDelivery, targets: dict[str, AlertTarget]) -> None:
        target = targets.get(row.target)
        if target is None or not target.enabled:  # removed or turned off since
            await repo.drop_delivery(self.db, row.alert_id, row.target)
            return
        alert = Alert(
            subject=row.subject, state=row.state, title=row.title, message=row.message,  # type: ignore[arg-type]
            source=row.source, at=row.raised_at, id=str(row.alert_id),
        )  # fmt: skip
        try:
            await send(self.http, target, alert)
        except SendFailed as failed:
            wait = failed.retry_after if failed.retry_after is not None else backoff_seconds(row.attempts + 1)
            at = datetime.now(UTC) + timedelta(seconds=max(1.0, wait))
            await repo.retry_delivery(self.db, row.alert_id, row.target, at, str(failed))
            log.warning("alert not delivered; will retry", target=row.target, error=str(failed))
            return
        await repo.delivered(self.db, row.alert_id, row.target, datetime.now(UTC))

    async def test(self, name: str) -> ConnectionTest:
        """Send a test alert to one target now (not queued): what it answered."""
        target = next((t for t in (await self.settings.get()).alert_targets if t.name == name), None)
        if target is None:
            raise NotFound(f"no alert target named {name!r}: save it first")
        alert = Alert(
            subject="test", state="recovered", title="Chillproxy test alert",
            message="If you read this, alerts from Chillproxy reach you here.", source="notifier",
        )  # fmt: skip
        try:
            await send(self.http, target, alert)
        except SendFailed as failed:
            return ConnectionTest(ok=False, error=str(failed))
        return ConnectionTest(ok=True)

    async def view(self) -> AlertsView:
        recent = []
        for row in await repo.recent(self.db):
            deliveries = [msgspec.convert(d, AlertDelivery, strict=False) for d in row.pop("deliveries")]
            recent.append(SentAlert(**row, deliveries=deliveries))
        return AlertsView(recent=recent)
