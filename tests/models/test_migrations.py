"""Migrations apply to an empty database and to an existing one, once."""

from models import ALL_MODELS
from models.db import database, init_database
from models.migrate import apply_migrations, migration_names


def test_migrations_apply_to_an_empty_database_then_are_up_to_date(tmp_path):
    init_database(f"sqlite:///{tmp_path / 'fresh.db'}")
    with database.connection_context():
        assert apply_migrations() == migration_names()
        assert apply_migrations() == []
        tables = set(database.get_tables())
    assert {m._meta.table_name for m in ALL_MODELS} <= tables


def test_migrations_upgrade_an_existing_database_keeping_its_rows(tmp_path):
    init_database(f"sqlite:///{tmp_path / 'old.db'}")
    first = migration_names()[0]
    with database.connection_context():
        assert apply_migrations(target=first) == [first]
        database.execute_sql("INSERT INTO store (id, name, slug, description, created_at) "
                             "VALUES ('store_1', 'Old shop', 'old-shop', '', '2025-01-01 00:00:00')")
        assert apply_migrations() == migration_names()[1:]
        assert database.execute_sql("SELECT name FROM store").fetchone()[0] == "Old shop"
        indexes = [row[1] for row in database.execute_sql("PRAGMA index_list('job')").fetchall()]
    assert {"job_queued_dispatch", "job_unfinished", "job_finished"} <= set(indexes)
    assert "job_state_updated_at" not in indexes  # replaced by the partial indexes of 0007
