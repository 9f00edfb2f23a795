"""Shared builders of the loyalty tests: paid orders written directly, accounts with a given
history, a job context stub, and the ledger invariant."""

from __future__ import annotations

import datetime as dt

from models.db import atomic, new_id, utcnow
from models.loyalty import LoyaltyAccount, LoyaltyTransaction
from models.orders import Order


class Ctx:
    """A job context for calling a maintenance task handler directly."""

    def __init__(self):
        self.calls = []

    def progress(self, completed=None, total=None, message=None):
        self.calls.append((completed, total, message))


def paid_order(user, subtotal: int, discount: int = 0, payment_status: str = "paid", currency: str = "USD") -> Order:
    """An order of `user` with `subtotal` minor units of goods, written as checkout would leave it."""
    with atomic():
        return Order.create(order_number=f"SKN-2025-{new_id('n')[-8:]}", customer=user.id, customer_email=user.email,
                            payment_status=payment_status, payment_method="cash_on_delivery", subtotal=subtotal,
                            discount=discount, total=subtotal - discount, currency=currency, shipping_address={},
                            billing_address={}, shipping_method={})


def account_with(user, balance: int, lifetime: int | None = None, idle_days: float = 0) -> LoyaltyAccount:
    """An account whose ledger is one `earn` line of `balance` points, idle for `idle_days`;
    `lifetime` (default: `balance`) may be higher, as if points had been spent."""
    lifetime = balance if lifetime is None else lifetime
    when = utcnow() - dt.timedelta(days=idle_days)
    with atomic():
        account = LoyaltyAccount.create(user=user.id, points_balance=balance, lifetime_earned=lifetime,
                                        last_activity_at=when)
        if balance:
            LoyaltyTransaction.create(account=account, type="earn", points=balance, balance_after=balance,
                                      description="Opening balance", key=f"test:opening:{account.id}",
                                      created_at=when)
    return account


def account_of(user) -> LoyaltyAccount:
    return LoyaltyAccount.get(LoyaltyAccount.user == user.id)


def ledger_sum(user) -> int:
    """The sum of the user's ledger lines (always the balance)."""
    return sum(line.points for line in LoyaltyTransaction.select().join(LoyaltyAccount)
               .where(LoyaltyAccount.user == user.id))


def lines_of(user, kind: str | None = None) -> list[LoyaltyTransaction]:
    query = LoyaltyTransaction.select().join(LoyaltyAccount).where(LoyaltyAccount.user == user.id)
    if kind:
        query = query.where(LoyaltyTransaction.type == kind)
    return list(query.order_by(LoyaltyTransaction.created_at, LoyaltyTransaction.id))
