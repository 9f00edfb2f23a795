"""The audit log (issue 8): creates `audit_entry`; on PostgreSQL a trigger makes it
append-only (UPDATE and DELETE raise), so no row can be rewritten or removed through the
application. TRUNCATE stays possible for the table's owner (a database reset, the test suite).
"""

import peewee

from models.audit import AuditEntry

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_entry is append-only (%%)', TG_OP;  -- %% : psycopg2 formats the string
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_entry_no_update ON audit_entry;
CREATE TRIGGER audit_entry_no_update BEFORE UPDATE OR DELETE ON audit_entry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
"""


def migrate(database, migrator):
    database.create_tables([AuditEntry], safe=True)
    if isinstance(getattr(database, "obj", database), peewee.PostgresqlDatabase):  # the proxy's database
        database.execute_sql(APPEND_ONLY)
