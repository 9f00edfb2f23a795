"""Loyalty points (seed 003 Loyalty model, minimal): one account per customer and
an append-only ledger of transactions.

`LoyaltyTransaction.key` is UNIQUE (e.g. `earn:order:{order id}`), so earning
for the same order twice is impossible whatever the number of retries.
"""

import peewee

from models.db import BaseModel, PrefixedIdField, utcnow
from models.users import User

TRANSACTION_TYPES = ("earn", "redeem", "adjust")


class LoyaltyAccount(BaseModel):
    """A customer's points balance. `last_activity_at` is the last earn/redeem; `reminded_at`
    the last unused-points reminder (set by the loyalty.points_reminder fan-out)."""

    id = PrefixedIdField("lya")
    user = peewee.ForeignKeyField(User, unique=True, backref="loyalty_account", on_delete="CASCADE")
    points_balance = peewee.IntegerField(default=0, constraints=[peewee.Check("points_balance >= 0")])
    lifetime_earned = peewee.IntegerField(default=0)
    last_activity_at = peewee.DateTimeField(default=utcnow, index=True)
    reminded_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)


class LoyaltyTransaction(BaseModel):
    """One ledger line: `points` signed (earn > 0, redeem < 0), `balance_after` the balance it left."""

    id = PrefixedIdField("lyt")
    account = peewee.ForeignKeyField(LoyaltyAccount, backref="transactions", on_delete="CASCADE")
    type = peewee.CharField(max_length=16)
    points = peewee.IntegerField()
    balance_after = peewee.IntegerField()
    description = peewee.CharField(max_length=255, default="")
    order_id = peewee.CharField(max_length=40, null=True, index=True)
    key = peewee.CharField(max_length=120, unique=True)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
