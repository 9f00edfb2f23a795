"""Key rotation may re-encrypt the audit log (issue 8, PII key rotation).

On PostgreSQL the append-only trigger of `audit_entry` (migration 0010) now lets one UPDATE
through: from a connection that set `cartwheel.pii_rotation = 'on'` (only
services.platform.pii_rotation does), and changing nothing but the encrypted `before` and
`after` columns. Every other UPDATE and every DELETE still raises. SQLite has no trigger.
"""

from models.db import is_postgres

APPEND_ONLY_BUT_ROTATION = """
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('cartwheel.pii_rotation', true) = 'on'
            AND (to_jsonb(NEW) - 'before' - 'after') = (to_jsonb(OLD) - 'before' - 'after') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_entry is append-only (%%)', TG_OP;  -- %% : psycopg2 formats the string
END;
$$ LANGUAGE plpgsql;
"""


def migrate(database, migrator):
    if is_postgres():
        database.execute_sql(APPEND_ONLY_BUT_ROTATION)
