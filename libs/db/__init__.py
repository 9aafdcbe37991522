"""PostgreSQL for the services: the pool, health, and numbered migrations (old rows: `libs.retention`)."""

from .migrations import PLATFORM_MIGRATIONS, MigrationError, migrate, migration_files
from .pool import DATABASE_AWAY, create_pool, ping, row_as, rows_as, transaction

__all__ = [
    "DATABASE_AWAY",
    "PLATFORM_MIGRATIONS",
    "MigrationError",
    "create_pool",
    "migrate",
    "migration_files",
    "ping",
    "row_as",
    "rows_as",
    "transaction",
]
