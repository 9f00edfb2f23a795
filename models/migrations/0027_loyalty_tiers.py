"""Loyalty tiers (issue 10): the `loyalty_tier` table with the default tiers (bronze 0 x1.0,
silver 1000 x1.25, gold 5000 x1.5, platinum 15000 x2.0; services.loyalty.tiers.DEFAULT_TIERS),
and `loyalty_account.tier`, set for existing accounts from their lifetime points earned.
The ledger's `type` is a plain string column (no CHECK), so "expire" and "reverse" need no
schema change."""

import peewee

from models.db import new_id, utcnow
from models.loyalty import BASE_TIER, LoyaltyTier
from models.migrations.helpers import add_column_if_missing

DEFAULT_TIERS = [  # name, minPoints, multiplier (per mille), benefits: frozen copy of services.loyalty.tiers'
    ("bronze", 0, 1000, ["1 point per whole unit spent", "Points for approved reviews and a completed profile"]),
    ("silver", 1000, 1250, ["1.25x points on purchases"]),
    ("gold", 5000, 1500, ["1.5x points on purchases"]),
    ("platinum", 15000, 2000, ["2x points on purchases"]),
]


def migrate(database, migrator):
    database.create_tables([LoyaltyTier], safe=True)
    add_column_if_missing(database, migrator, "loyalty_account", "tier",
                          peewee.CharField(max_length=30, default=BASE_TIER))
    param = database.param
    if not LoyaltyTier.select().exists():
        now = utcnow()
        LoyaltyTier.insert_many([{"id": new_id("tier"), "name": name, "min_points": min_points,
                                  "multiplier_permille": permille, "benefits": benefits, "is_active": True,
                                  "created_at": now, "updated_at": now}
                                 for name, min_points, permille, benefits in DEFAULT_TIERS]).execute()
    tiers = database.execute_sql("SELECT name, min_points FROM loyalty_tier WHERE is_active = "
                                 f"{param} ORDER BY min_points", (True,)).fetchall()
    for name, min_points in tiers:  # ascending: each account ends in the highest tier it reaches
        database.execute_sql(f"UPDATE loyalty_account SET tier = {param} WHERE lifetime_earned >= {param}",
                             (name, min_points))
