"""Sessions and account links (issue 8).

Creates `auth_session` (one per sign-in, the refresh-token family it issued) and
`account_token` (single-use email verification and password reset links), and adds
`user.is_verified` (default false), `user.email_verified_at`, `user.last_login_at` and
`user.password_changed_at`. Every refresh-token family still unrevoked becomes a session, so
the people signed in before the upgrade stay signed in (their old access tokens, which
carry no session id, keep working until they expire, at most `JWT_ACCESS_TTL_SECONDS`).
Columns are added only when missing: a database created from the current model classes by
0001 already has them.
"""

import peewee

from models.users import AccountToken, AuthSession
from models.migrations.helpers import add_column_if_missing


def migrate(database, migrator):
    for name, field in (("is_verified", peewee.BooleanField(default=False)),
                        ("email_verified_at", peewee.DateTimeField(null=True)),
                        ("last_login_at", peewee.DateTimeField(null=True)),
                        ("password_changed_at", peewee.DateTimeField(null=True))):
        add_column_if_missing(database, migrator, "user", name, field)
    database.create_tables([AuthSession, AccountToken], safe=True)
    database.execute_sql(
        "INSERT INTO auth_session (id, user_id, family, created_at, last_seen_at) "
        "SELECT 'ses_' || family, user_id, family, MIN(created_at), MAX(created_at) FROM refresh_token "
        "WHERE family NOT IN (SELECT family FROM refresh_token WHERE revoked_at IS NOT NULL) "
        "AND family NOT IN (SELECT family FROM auth_session) GROUP BY family, user_id")
