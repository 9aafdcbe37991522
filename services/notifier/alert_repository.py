"""The alerts' SQL: each subject's last told state (and the change waiting for its quiet period), the alerts
accepted, and their deliveries to each target. Functions take a pool or the caller's transaction."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from libs.db import row_as, rows_as
from libs.schemas import Alert

Db = asyncpg.Pool | asyncpg.Connection
_alert = msgspec.json.Decoder(Alert)


class SubjectRow(msgspec.Struct, frozen=True):
    sent_state: str | None
    sent_at: datetime | None


class DueDelivery(msgspec.Struct, frozen=True):
    alert_id: int
    target: str
    attempts: int
    subject: str
    state: str
    title: str
    message: str
    source: str
    raised_at: datetime


async def lock_subject(conn: asyncpg.Connection, subject: str) -> SubjectRow:
    """The subject's row, locked for this transaction (made when new): two replicas deciding on the same
    subject at once decide one after the other."""
    await conn.execute("INSERT INTO notifier_alert_subjects (subject) VALUES ($1) ON CONFLICT DO NOTHING", subject)
    row = await conn.fetchrow(
        "SELECT sent_state, sent_at FROM notifier_alert_subjects WHERE subject = $1 FOR UPDATE", subject
    )
    return row_as(SubjectRow, row)  # type: ignore[return-value]


async def accept(conn: asyncpg.Connection, alert: Alert, targets: list[str], now: datetime) -> int:
    """The alert is told: kept, one delivery per target, and the subject's told state is now its state."""
    alert_id = await conn.fetchval(
        """
        INSERT INTO notifier_alerts (subject, state, title, message, source, raised_at, accepted_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
        """,
        alert.subject, alert.state, alert.title, alert.message, alert.source, alert.at, now,
    )  # fmt: skip
    await conn.executemany(
        "INSERT INTO notifier_alert_deliveries (alert_id, target, next_try_at) VALUES ($1, $2, $3)",
        [(alert_id, target, now) for target in targets],
    )
    await conn.execute(
        """
        UPDATE notifier_alert_subjects SET sent_state = $2, sent_at = $3, pending = NULL, pending_due = NULL
        WHERE subject = $1
        """,
        alert.subject, alert.state, now,
    )  # fmt: skip
    return alert_id


async def hold(conn: asyncpg.Connection, alert: Alert, due: datetime) -> None:
    """A change within the quiet period: told when it ends, unless the subject is back to its told state."""
    await conn.execute(
        "UPDATE notifier_alert_subjects SET pending = $2, pending_due = $3 WHERE subject = $1",
        alert.subject, msgspec.to_builtins(alert), due,  # the pool's jsonb codec encodes it
    )  # fmt: skip


async def clear_pending(conn: asyncpg.Connection, subject: str) -> None:
    await conn.execute(
        "UPDATE notifier_alert_subjects SET pending = NULL, pending_due = NULL WHERE subject = $1", subject
    )


async def due_pending(conn: asyncpg.Connection, now: datetime) -> list[Alert]:
    """Changes whose quiet period is over, locked for this transaction (another replica skips them)."""
    rows = await conn.fetch(
        """
        SELECT pending::text AS pending FROM notifier_alert_subjects
        WHERE pending IS NOT NULL AND pending_due <= $1 FOR UPDATE SKIP LOCKED
        """,
        now,
    )
    return [_alert.decode(row["pending"]) for row in rows]


async def claim_deliveries(db: Db, now: datetime, hold_seconds: float, limit: int = 100) -> list[DueDelivery]:
    """Deliveries due, held by this replica for `hold_seconds` (another sends them only if this one dies)."""
    rows = await db.fetch(
        """
        WITH taken AS (
            SELECT alert_id, target FROM notifier_alert_deliveries
            WHERE sent_at IS NULL AND next_try_at <= $1
            ORDER BY next_try_at LIMIT $3 FOR UPDATE SKIP LOCKED
        ), held AS (
            UPDATE notifier_alert_deliveries d SET next_try_at = $1 + make_interval(secs => $2)
            FROM taken WHERE d.alert_id = taken.alert_id AND d.target = taken.target
            RETURNING d.alert_id, d.target, d.attempts
        )
        SELECT held.*, a.subject, a.state, a.title, a.message, a.source, a.raised_at
        FROM held JOIN notifier_alerts a ON a.id = held.alert_id ORDER BY held.alert_id
        """,
        now, float(hold_seconds), limit,
    )  # fmt: skip
    return rows_as(DueDelivery, rows)


async def delivered(db: Db, alert_id: int, target: str, now: datetime) -> None:
    await db.execute(
        """
        UPDATE notifier_alert_deliveries SET sent_at = $3, attempts = attempts + 1, last_error = NULL
        WHERE alert_id = $1 AND target = $2
        """,
        alert_id, target, now,
    )  # fmt: skip


async def retry_delivery(db: Db, alert_id: int, target: str, at: datetime, error: str) -> None:
    await db.execute(
        """
        UPDATE notifier_alert_deliveries SET attempts = attempts + 1, next_try_at = $3, last_error = $4
        WHERE alert_id = $1 AND target = $2
        """,
        alert_id, target, at, error,
    )  # fmt: skip


async def drop_delivery(db: Db, alert_id: int, target: str) -> None:
    await db.execute("DELETE FROM notifier_alert_deliveries WHERE alert_id = $1 AND target = $2", alert_id, target)


async def seconds_until_due(db: Db) -> float | None:
    return await db.fetchval(
        """
        SELECT extract(epoch FROM min(due) - now())::float8 FROM (
            SELECT min(next_try_at) AS due FROM notifier_alert_deliveries WHERE sent_at IS NULL
            UNION ALL
            SELECT min(pending_due) FROM notifier_alert_subjects WHERE pending IS NOT NULL
        ) d
        """
    )


async def recent(db: Db, limit: int = 20) -> list[dict]:
    """The last alerts accepted, each with its deliveries (as the API names their fields)."""
    rows = await db.fetch(
        """
        SELECT a.subject, a.state, a.title, a.message, a.source, a.accepted_at,
               coalesce(json_agg(json_build_object(
                   'target', d.target, 'sentAt', d.sent_at, 'attempts', d.attempts,
                   'nextTryAt', CASE WHEN d.sent_at IS NULL THEN d.next_try_at END, 'lastError', d.last_error
               ) ORDER BY d.target) FILTER (WHERE d.target IS NOT NULL), '[]')::text AS deliveries
        FROM (SELECT * FROM notifier_alerts ORDER BY id DESC LIMIT $1) a
        LEFT JOIN notifier_alert_deliveries d ON d.alert_id = a.id
        GROUP BY a.id, a.subject, a.state, a.title, a.message, a.source, a.accepted_at
        ORDER BY a.id DESC
        """,
        limit,
    )
    return [dict(row) | {"deliveries": msgspec.json.decode(row["deliveries"])} for row in rows]
