"""Shared steps of the migration modules (not a migration itself: its name has no number)."""

from playhouse import migrate as pw_migrate


def add_column_if_missing(database, migrator, table: str, name: str, field) -> bool:
    """Add column `name` (a peewee field) to `table` unless it exists; True when it was added.

    A database created from the current model classes by 0001 already has every column, so
    migrations that add columns go through this to stay idempotent.
    """
    if name in {c.name for c in database.get_columns(table)}:
        return False
    pw_migrate.migrate(migrator.add_column(table, name, field))
    return True
