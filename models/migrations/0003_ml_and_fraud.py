"""Model registry and fraud scoring (issue 3).

Creates `model_version` (with at most one active version per kind, enforced
by a partial unique index) and the fraud tables; adds the nullable
`order.client_ip` and `payment.card_fingerprint` columns. Columns are added
only when missing: a database created from the current model classes by
0001 already has them.
"""

from playhouse import migrate as pw_migrate
import peewee

from models.fraud import FraudAssessment, FraudLabel, FraudRule, FraudSignal
from models.ml import ModelVersion

TABLES = [ModelVersion, FraudRule, FraudAssessment, FraudLabel, FraudSignal]


def _add_column_if_missing(database, migrator, table, name, field):
    if name not in {c.name for c in database.get_columns(table)}:
        pw_migrate.migrate(migrator.add_column(table, name, field))


def migrate(database, migrator):
    database.create_tables(TABLES, safe=True)
    database.execute_sql("CREATE UNIQUE INDEX IF NOT EXISTS model_version_one_active_per_kind "
                         "ON model_version (kind) WHERE status = 'active'")
    _add_column_if_missing(database, migrator, "order", "client_ip", peewee.CharField(max_length=64, null=True))
    _add_column_if_missing(database, migrator, "payment", "card_fingerprint",
                           peewee.CharField(max_length=128, null=True))
    database.execute_sql("CREATE INDEX IF NOT EXISTS fraud_assessment_review ON fraud_assessment "
                         "(review_status, created_at)")
