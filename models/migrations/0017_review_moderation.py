"""Review moderation, votes, reports and media (issue 9).

Adds to `review` (each only when missing: a database created from the current model classes by
0005 already has them) `status` (existing reviews become `approved`: they were public),
`moderation_reason`, `moderated_by_id`, `moderated_at`, `reported_count`, `helpful_count` and the
indexes of the moderated lists; creates `review_media`, `review_vote` and `review_report`.
"""

import peewee

from models.reviews import ReviewMedia, ReviewReport, ReviewVote
from models.users import User
from models.migrations.helpers import add_column_if_missing


def migrate(database, migrator):
    add_column_if_missing(database, migrator, "review", "status",
                           peewee.CharField(max_length=16, default="approved"))
    add_column_if_missing(database, migrator, "review", "moderation_reason",
                           peewee.CharField(max_length=500, null=True))
    add_column_if_missing(database, migrator, "review", "moderated_by_id",
                           peewee.ForeignKeyField(User, null=True, field=User.id, on_delete="SET NULL"))
    add_column_if_missing(database, migrator, "review", "moderated_at", peewee.DateTimeField(null=True))
    add_column_if_missing(database, migrator, "review", "reported_count", peewee.IntegerField(default=0))
    add_column_if_missing(database, migrator, "review", "helpful_count", peewee.IntegerField(default=0))
    database.execute_sql("CREATE INDEX IF NOT EXISTS review_product_id_status_created_at "
                         "ON review (product_id, status, created_at)")
    database.execute_sql("CREATE INDEX IF NOT EXISTS review_status_created_at ON review (status, created_at)")
    database.create_tables([ReviewMedia, ReviewVote, ReviewReport], safe=True)
