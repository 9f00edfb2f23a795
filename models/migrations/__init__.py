"""Schema migrations, applied in name order by `models.migrate.apply_migrations`.

Each module `NNNN_name.py` defines `migrate(database, migrator)` using
`playhouse.migrate` operations (or `create_tables` for the initial schema).
"""
