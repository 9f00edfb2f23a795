"""Loyalty points (seeds 000, 001, 003): tiers, earning on paid orders and interactions, the
balance and ledger, redemption for reward codes, reversals, expiry, and reminders about
unused points.

Modules: `tiers` (the admin-managed tiers, a customer's tier, the recalculation task),
`ledger` (earning rules, accounts, ledger lines, reversals, views), `redemption` (points for a
reward code), `expiry` (the periodic expiry task), `reminders` (the periodic reminder task),
`reasons` (error reasons). This package imports neither services.orders nor services.catalog
(they may import it).
"""

from services.loyalty.expiry import expire_account, expire_idle_points
from services.loyalty.ledger import (EARNING_PAYMENT_STATUSES, RECENT_TRANSACTIONS, accounts_with_unused_points,
                                     earn_for_order, earn_for_profile, earn_for_review, expires_at, forfeit_points,
                                     get_account, mark_reminded, points_balance, points_for_amount, points_view,
                                     profile_completed, reverse_order_points, summary_view, transaction_view,
                                     transactions)
from services.loyalty.reasons import REASONS
from services.loyalty.redemption import (MAX_REDEEM_POINTS, MIN_REDEEM_POINTS, REDEEM_STEP, REWARD_VALID_DAYS,
                                         check_points, redeem_points, reward_value)
from services.loyalty.reminders import loyalty_period, loyalty_points_reminders
from services.loyalty.tiers import (BASE_TIER, DEFAULT_TIERS, RECALCULATION_TASK, active_tiers, create_tier,
                                    delete_tier, get_tier, list_tiers, next_tier, recalculate_tiers,
                                    schedule_recalculation, tier_for_points, tier_view, update_tier)

__all__ = [
    "BASE_TIER", "DEFAULT_TIERS", "EARNING_PAYMENT_STATUSES", "MAX_REDEEM_POINTS", "MIN_REDEEM_POINTS",
    "REASONS", "RECALCULATION_TASK", "RECENT_TRANSACTIONS", "REDEEM_STEP", "REWARD_VALID_DAYS",
    "accounts_with_unused_points", "active_tiers", "check_points", "create_tier", "delete_tier", "earn_for_order",
    "earn_for_profile", "earn_for_review", "expire_account", "expire_idle_points", "expires_at", "forfeit_points",
    "get_account", "get_tier", "list_tiers", "loyalty_period", "loyalty_points_reminders", "mark_reminded",
    "next_tier", "points_balance", "points_for_amount", "points_view", "profile_completed", "recalculate_tiers",
    "redeem_points", "reverse_order_points", "reward_value", "schedule_recalculation", "summary_view",
    "tier_for_points", "tier_view", "transaction_view", "transactions", "update_tier",
]
