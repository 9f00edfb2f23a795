"""Stripe disputes (chargebacks): the `dispute` table (models.disputes.Dispute)."""

from models.disputes import Dispute


def migrate(database, migrator):
    database.create_tables([Dispute], safe=True)
