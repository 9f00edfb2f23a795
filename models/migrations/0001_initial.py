"""The initial schema: every table of the walking skeleton."""

from models import ALL_MODELS


def migrate(database, migrator):
    database.create_tables(ALL_MODELS, safe=True)
