"""Proof-of-delivery photos (issue 10, seed 001): `order_delivery.proof_photo`, the stored file's
name (services.orders.delivery_proofs)."""

import peewee

from models.migrations.helpers import add_column_if_missing


def migrate(database, migrator):
    add_column_if_missing(database, migrator, "order_delivery", "proof_photo", peewee.CharField(max_length=40, null=True))
