"""Homepage banners (issue 11, seed 002's homepage sections): the `banner` table."""

from models.banners import Banner


def migrate(database, migrator):
    database.create_tables([Banner], safe=True)
