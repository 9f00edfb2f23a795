"""TOTP second factors (issue 8): creates `mfa_factor`."""

from models.users import MfaFactor


def migrate(database, migrator):
    database.create_tables([MfaFactor], safe=True)
