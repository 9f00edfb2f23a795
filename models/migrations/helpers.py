"""Shared steps of the migration modules (not a migration itself: its name has no number)."""

from __future__ import annotations

from playhouse import migrate as pw_migrate

from models.db import is_postgres


def add_column_if_missing(database, migrator, table: str, name: str, field) -> bool:
    """Add column `name` (a peewee field) to `table` unless it exists; True when it was added.

    A database created from the current model classes by 0001 already has every column, so
    migrations that add columns go through this to stay idempotent.

    On SQLite a NOT NULL column is never added through playhouse's `add_not_null`: that
    rebuilds the table, and dropping the old table with foreign keys on cascades (rebuilding
    `product` would delete every variant, cart line and review). Instead one `ALTER TABLE ...
    ADD COLUMN ... NOT NULL DEFAULT <value>` adds it when the default is a constant; a column
    whose default is computed (`utcnow`) is added nullable and filled with one UPDATE (the
    models always write it). PostgreSQL alters in place, so playhouse's path is kept there.
    """
    if name in {c.name for c in database.get_columns(table)}:
        return False
    if is_postgres() or field.null or field.default is None:
        pw_migrate.migrate(migrator.add_column(table, name, field))
        return True
    field.name = field.column_name = name
    ctx = database.get_sql_context()
    column_type = ctx.sql(field.ddl_datatype(ctx)).query()[0]
    default = field.default
    if callable(default):
        database.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{name}" {column_type}')
        database.execute_sql(f'UPDATE "{table}" SET "{name}" = ?', (field.db_value(default()),))
    else:
        literal = database.get_sql_context().value(field.db_value(default)).query()
        sql, params = literal
        database.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{name}" {column_type} NOT NULL '
                             f'DEFAULT {_sqlite_literal(params[0] if params else sql)}')
    return True


def _sqlite_literal(value) -> str:
    """A constant as SQLite DDL writes it (DEFAULT takes no bound parameters)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"
