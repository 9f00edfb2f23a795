"""Loyalty points (seed 003): earning on paid orders, the balance and ledger, and
reminders about unused points.

Modules: `ledger` (earning rule, accounts, ledger lines, views), `reminders` (the
periodic reminder task).
"""

from services.loyalty.ledger import (RECENT_TRANSACTIONS, accounts_with_unused_points, earn_for_order,
                                     forfeit_points, get_account, mark_reminded, points_balance, points_for_amount,
                                     summary_view, transaction_view, transactions)
from services.loyalty.reminders import loyalty_period, loyalty_points_reminders

__all__ = [
    "RECENT_TRANSACTIONS", "accounts_with_unused_points", "earn_for_order", "forfeit_points", "get_account",
    "loyalty_period",
    "loyalty_points_reminders", "mark_reminded", "points_balance", "points_for_amount", "summary_view",
    "transaction_view", "transactions",
]
