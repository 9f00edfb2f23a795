"""Phone numbers as encrypted login identities and OTP challenges (issue 8, OTP phone login).

- creates `otp_challenge`;
- `user.email` becomes nullable (phone-first accounts have none). PostgreSQL: `DROP NOT NULL`.
  SQLite cannot drop a constraint with ALTER TABLE, and rebuilding the table would, with
  foreign keys on, cascade-delete every row that references a user; the constraint is removed
  with SQLite's documented in-place schema edit instead (sqlite.org/lang_altertable.html,
  "making other kinds of table schema changes": removing a NOT NULL constraint does not change
  the stored rows), with `schema_version` bumped in the same transaction;
- `user.phone` becomes TEXT (ciphertext is longer than the old VARCHAR(32)), and the
  nullable `user.phone_hash` (UNIQUE) and `user.phone_verified_at` are added;
- every existing phone is normalised to E.164 (numbers that do not parse are kept as written)
  and encrypted; the keyed hash of a valid number is stored on the oldest account holding it
  (a newer account with the same number keeps the number but it is not its login identity).

Columns are added only when missing: a database created from the current model classes by
0001 already has them (and a plain-text phone would then be a bug, not a migration input).
"""

import re

import peewee
import phonenumbers
from playhouse import migrate as pw_migrate

from models.db import is_postgres
from models.encryption import encrypt, keyed_hash
from models.users import OtpChallenge

EMAIL_NOT_NULL = re.compile(r'("email"\s+VARCHAR\(254\))\s+NOT NULL', re.IGNORECASE)


def _columns(database, table) -> dict:
    return {c.name: c for c in database.get_columns(table)}


def _sqlite_drop_email_not_null(database) -> None:
    sql = database.execute_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'user'").fetchone()[0]
    if not EMAIL_NOT_NULL.search(sql):
        return
    version = database.execute_sql("PRAGMA schema_version").fetchone()[0]
    database.execute_sql("PRAGMA writable_schema = ON")
    try:
        database.execute_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'user'",
                             (EMAIL_NOT_NULL.sub(r"\1", sql, count=1),))
        database.execute_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        database.execute_sql("PRAGMA writable_schema = OFF")


def _e164(raw: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _encrypt_existing_phones(database) -> None:
    rows = database.execute_sql('SELECT id, phone FROM "user" WHERE phone IS NOT NULL AND phone_hash IS NULL '
                                "ORDER BY created_at, id").fetchall()
    seen = set()
    param = database.param
    for user_id, phone in rows:
        if phone.startswith("v1:"):
            continue  # already encrypted (a partial earlier run cannot happen: one transaction)
        normal = _e164(phone.replace(" ", ""))
        digest = keyed_hash(normal) if normal else None
        if digest in seen:
            digest = None
        if digest:
            seen.add(digest)
        database.execute_sql(f'UPDATE "user" SET phone = {param}, phone_hash = {param} WHERE id = {param}',
                             (encrypt(normal or phone, "user.phone"), digest, user_id))


def migrate(database, migrator):
    database.create_tables([OtpChallenge], safe=True)
    columns = _columns(database, "user")
    if "phone_hash" in columns:
        return  # created from the current models
    if is_postgres():
        database.execute_sql('ALTER TABLE "user" ALTER COLUMN email DROP NOT NULL')
        database.execute_sql('ALTER TABLE "user" ALTER COLUMN phone TYPE TEXT')
    else:
        _sqlite_drop_email_not_null(database)
    pw_migrate.migrate(
        migrator.add_column("user", "phone_hash", peewee.CharField(max_length=64, null=True)),
        migrator.add_column("user", "phone_verified_at", peewee.DateTimeField(null=True)),
    )
    _encrypt_existing_phones(database)
    database.execute_sql('CREATE UNIQUE INDEX IF NOT EXISTS user_phone_hash ON "user" (phone_hash)')
