"""Paying with the wallet at checkout (issue 11, seed 002 `paymentMethod: "wallet"`): `order` gains
`wallet_amount` (minor units paid from the customer's wallet: the whole total for a wallet order,
a part for a card order; 0 otherwise) and `refund` gains `to_wallet` (the refund went back to the
wallet, not to the card or in cash)."""

import peewee

from models.migrations.helpers import add_column_if_missing


def migrate(database, migrator):
    add_column_if_missing(database, migrator, "order", "wallet_amount",
                          peewee.IntegerField(default=0, constraints=[peewee.SQL("DEFAULT 0")]))
    add_column_if_missing(database, migrator, "refund", "to_wallet",
                          peewee.BooleanField(default=False, constraints=[peewee.SQL("DEFAULT FALSE")]))
