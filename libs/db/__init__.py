"""PostgreSQL for the services: the pool, health, and numbered migrations."""

from .migrations import MigrationError, migrate, migration_files
from .pool import create_pool, ping, transaction

__all__ = ["MigrationError", "create_pool", "migrate", "migration_files", "ping", "transaction"]
