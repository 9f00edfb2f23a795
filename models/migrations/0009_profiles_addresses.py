"""Customer profiles, the address book and devices (issue 8).

Creates `customer_profile` (one per user, PII encrypted), `customer_address` and `user_device`,
and the partial unique index `customer_address_one_default (user_id, type) WHERE is_default`
(PostgreSQL and SQLite both support it): at most one default address per customer and type.
Tables and index are created only when missing (a database created from the current model
classes already has the tables).
"""

from models.profiles import CustomerAddress, CustomerProfile, UserDevice

ONE_DEFAULT = ("CREATE UNIQUE INDEX IF NOT EXISTS customer_address_one_default "
               "ON customer_address (user_id, type) WHERE is_default")


def migrate(database, migrator):
    database.create_tables([CustomerProfile, CustomerAddress, UserDevice], safe=True)
    database.execute_sql(ONE_DEFAULT)
