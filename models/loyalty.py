"""Loyalty points (seeds 000, 001, 003): tiers, one account per customer and an append-only
ledger of transactions.

`LoyaltyTransaction.key` is UNIQUE (e.g. `earn:order:{order id}`), so earning
for the same order twice is impossible whatever the number of retries. The
ledger of an account always sums to its `points_balance`.

`LoyaltyTier` (seed 003 LoyaltyTier, seed 001 membershipTier) came with migration 0027, and
with it `LoyaltyAccount.tier` (the name of the account's tier, kept in step with
`lifetime_earned` by services.loyalty).
"""

import peewee

from models.db import BaseModel, JSONField, PrefixedIdField, utcnow
from models.users import User

TRANSACTION_TYPES = ("earn", "redeem", "adjust", "expire", "reverse")
"""earn (> 0: an order, a review, a profile), redeem (< 0: a reward code), adjust (an erased
account's forfeit), expire (< 0: the whole balance after inactivity), reverse (<= 0: a cancelled
or refunded order's points taken back)."""

BASE_TIER = "bronze"
"""The tier every account starts in: minPoints 0, always present and active."""


class LoyaltyTier(BaseModel):
    """A tier: `name` (a lower-case slug, UNIQUE), `min_points` (lifetime points earned that reach
    it, UNIQUE), `multiplier_permille` (the purchase earning multiplier in thousandths: 1250 =
    x1.25, 1000-10000), `benefits` (JSON list of strings shown to customers), `is_active`
    (inactive tiers are kept but nobody is in them)."""

    id = PrefixedIdField("tier")
    name = peewee.CharField(max_length=30, unique=True)
    min_points = peewee.IntegerField(unique=True, constraints=[peewee.Check("min_points >= 0")])
    multiplier_permille = peewee.IntegerField(
        default=1000, constraints=[peewee.Check("multiplier_permille BETWEEN 1000 AND 10000")])
    benefits = JSONField(default=list)
    is_active = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)


class LoyaltyAccount(BaseModel):
    """A customer's points balance. `last_activity_at` is the last earn/redeem (points expire
    after LOYALTY_POINTS_EXPIRY_DAYS without one); `reminded_at` the last unused-points reminder
    (set by the loyalty.points_reminder fan-out); `tier` the name of the tier `lifetime_earned`
    reaches (services.loyalty.tiers)."""

    id = PrefixedIdField("lya")
    user = peewee.ForeignKeyField(User, unique=True, backref="loyalty_account", on_delete="CASCADE")
    points_balance = peewee.IntegerField(default=0, constraints=[peewee.Check("points_balance >= 0")])
    lifetime_earned = peewee.IntegerField(default=0)
    last_activity_at = peewee.DateTimeField(default=utcnow, index=True)
    reminded_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
    tier = peewee.CharField(max_length=30, default=BASE_TIER)


class LoyaltyTransaction(BaseModel):
    """One ledger line: `type` (TRANSACTION_TYPES), `points` signed (earn > 0, redeem, expire and
    reverse < 0), `balance_after` the balance it left."""

    id = PrefixedIdField("lyt")
    account = peewee.ForeignKeyField(LoyaltyAccount, backref="transactions", on_delete="CASCADE")
    type = peewee.CharField(max_length=16)
    points = peewee.IntegerField()
    balance_after = peewee.IntegerField()
    description = peewee.CharField(max_length=255, default="")
    order_id = peewee.CharField(max_length=40, null=True, index=True)
    key = peewee.CharField(max_length=120, unique=True)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
