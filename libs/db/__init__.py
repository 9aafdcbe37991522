"""PostgreSQL for the services: the pool, health, and numbered migrations."""

from .migrations import MigrationError, migrate, migration_files
from .pool import DATABASE_AWAY, create_pool, ping, transaction
from .retention import Retention, keep_pruned, prune, prune_all

__all__ = [
    "DATABASE_AWAY",
    "MigrationError",
    "Retention",
    "create_pool",
    "keep_pruned",
    "migrate",
    "migration_files",
    "ping",
    "prune",
    "prune_all",
    "transaction",
]
