"""How long each log table keeps its rows: one rule per table, applied in small batches (each its own short
statement, so no long lock) by a job every service runs. A home server's disk must not fill with logs."""

from __future__ import annotations

import re
from dataclasses import dataclass

import asyncpg

from libs.leases import Leases
from libs.tasks import every
from libs.telemetry import get_logger

log = get_logger(__name__)
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Retention:
    table: str
    column: str  # the row's time
    days: int
    only: str = "true"  # which rows may go at all (e.g. finished ones), as SQL over the table's columns

    def __post_init__(self) -> None:
        if not (_NAME.match(self.table) and _NAME.match(self.column)):
            raise ValueError(f"not a table or column name: {self.table}.{self.column}")
        if self.days < 1:
            raise ValueError(f"{self.table}: a retention of at least one day")


async def prune(db: asyncpg.Pool, rule: Retention, batch: int = 5000) -> int:
    """Delete `rule.table`'s rows older than its retention; how many went."""
    statement = f"""
        DELETE FROM {rule.table} WHERE ctid = ANY(ARRAY(
            SELECT ctid FROM {rule.table}
            WHERE {rule.column} < now() - make_interval(days => $1) AND ({rule.only}) LIMIT $2))
    """
    total = 0
    while True:
        deleted = int((await db.execute(statement, rule.days, batch)).rsplit(" ", 1)[-1])
        total += deleted
        if deleted < batch:
            return total


async def prune_all(db: asyncpg.Pool, rules: list[Retention]) -> dict[str, int]:
    return {rule.table: await prune(db, rule) for rule in rules}


async def keep_pruned(
    db: asyncpg.Pool, rules: list[Retention], interval: float = 3600.0, lease: Leases | None = None
) -> None:
    """Prune every `interval` seconds, the first time at once, until cancelled (by one replica, with `lease`)."""

    async def once() -> None:
        deleted = {table: count for table, count in (await prune_all(db, rules)).items() if count}
        if deleted:
            log.info("old rows pruned", **deleted)

    await every(interval, once, what="pruning", first_now=True, lease=lease)
