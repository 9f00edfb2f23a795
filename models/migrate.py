"""Apply the migrations in `models/migrations/` that a database has not had yet.

Applied names are recorded in `schema_migrations`; each migration runs in its
own transaction (on SQLite `BEGIN IMMEDIATE`: it holds the write lock from its first read, so
another connection writing meanwhile waits instead of failing the migration with "database is
locked"), so a failure leaves the database at the previous version.
"""

from __future__ import annotations

import importlib
import pkgutil

import peewee
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator

from models import migrations as migrations_pkg
from models.db import BaseModel, atomic, database, is_postgres, utcnow


class SchemaMigration(BaseModel):
    name = peewee.CharField(max_length=200, primary_key=True)
    applied_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "schema_migrations"


def migration_names() -> list[str]:
    """Every migration module name, in the order they apply."""
    return sorted(m.name for m in pkgutil.iter_modules(migrations_pkg.__path__) if m.name[:4].isdigit())


def apply_migrations(target: str | None = None) -> list[str]:
    """Apply pending migrations up to and including `target` (all when None).

    Returns the names applied by this call (empty when up to date). Concurrent
    callers on PostgreSQL serialise on an advisory lock.
    """
    db = database.obj
    migrator = PostgresqlMigrator(db) if is_postgres() else SqliteMigrator(db)
    applied_now = []
    with database.connection_context():
        if is_postgres():
            database.execute_sql("SELECT pg_advisory_lock(727272)")
        try:
            database.create_tables([SchemaMigration], safe=True)
            done = {row.name for row in SchemaMigration.select()}
            for name in migration_names():
                if name in done:
                    continue
                module = importlib.import_module(f"{migrations_pkg.__name__}.{name}")
                with atomic():  # SQLite: BEGIN IMMEDIATE, so a concurrent writer waits instead of
                    module.migrate(database, migrator)  # invalidating the migration's snapshot
                    SchemaMigration.create(name=name)
                applied_now.append(name)
                if name == target:
                    break
        finally:
            if is_postgres():
                database.execute_sql("SELECT pg_advisory_unlock(727272)")
    return applied_now
