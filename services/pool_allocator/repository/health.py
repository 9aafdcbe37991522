"""torbox_pool_health and the health columns of torbox_pool."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import asyncpg
import msgspec

from libs.db import row_as


@dataclass(frozen=True)
class Observation:
    """One call made with a key: a health check, or a failure another service reported."""

    pool_key_id: UUID
    check_type: str  # 'health_check' | 'reported'
    ok: bool
    http_status: int | None = None
    response_ms: int | None = None
    error_type: str | None = None
    error_message: str | None = None
    endpoint: str = "/v1/api/user/me"
    id: UUID | None = None  # a reported failure's event id: stored once however often it is delivered


class KeyHealth(msgspec.Struct, frozen=True):
    status: str
    consecutive_failures: int
    label: str | None = None


async def lock(conn: asyncpg.Connection, pool_key_id: UUID) -> KeyHealth | None:
    locked = await conn.fetchrow(
        "SELECT status, consecutive_failures, label FROM torbox_pool WHERE id = $1 FOR UPDATE", pool_key_id
    )
    return row_as(KeyHealth, locked)


async def record(
    conn: asyncpg.Connection, observation: Observation, consecutive_failures: int
) -> tuple[int, int, float | None] | None:
    """Store the observation; (requests, failures, average ms) over the last 24 h, or None when it was
    stored before (a report delivered again)."""
    stored = await conn.fetchval(
        """
        INSERT INTO torbox_pool_health (id, pool_key_id, check_type, endpoint, http_status, response_time,
                                        was_successful, error_type, error_message, consecutive_failures)
        VALUES (coalesce($10, gen_random_uuid()), $1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (id) DO NOTHING RETURNING id
        """,
        observation.pool_key_id,
        observation.check_type,
        observation.endpoint,
        observation.http_status,
        observation.response_ms,
        observation.ok,
        observation.error_type,
        observation.error_message,
        consecutive_failures,
        observation.id,
    )
    if stored is None:
        return None
    row = await conn.fetchrow(
        """
        SELECT count(*) AS requests, count(*) FILTER (WHERE NOT was_successful) AS failures,
               avg(response_time) FILTER (WHERE was_successful) AS average_ms
        FROM torbox_pool_health WHERE pool_key_id = $1 AND timestamp > now() - interval '24 hours'
        """,
        observation.pool_key_id,
    )
    return row["requests"], row["failures"], None if row["average_ms"] is None else float(row["average_ms"])


async def update_pool(
    conn: asyncpg.Connection,
    pool_key_id: UUID,
    *,
    ok: bool,
    status: str,
    reason: str | None,
    consecutive_failures: int,
    requests: int,
    failures: int,
    average_ms: float | None,
) -> None:
    await conn.execute(
        """
        UPDATE torbox_pool SET
            status = $2, status_reason = $3, consecutive_failures = $4,
            total_requests_24h = $5::int, total_failures_24h = $6::int,
            failure_rate_24h = CASE WHEN $5::int > 0 THEN $6::int::real / $5::int ELSE 0 END,
            avg_response_time = coalesce($7::int, avg_response_time),
            last_success_at = CASE WHEN $8 THEN now() ELSE last_success_at END,
            last_failure_at = CASE WHEN $8 THEN last_failure_at ELSE now() END,
            updated_at = now()
        WHERE id = $1
        """,
        pool_key_id,
        status,
        reason,
        consecutive_failures,
        requests,
        failures,
        None if average_ms is None else round(average_ms),
        ok,
    )
