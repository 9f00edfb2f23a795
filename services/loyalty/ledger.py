"""Loyalty points (seed 003, minimal): earning on paid orders, the balance, the ledger,
and the accounts to remind about unused points.

Earning rule: 1 point per whole currency unit of the order's merchandise
subtotal after discounts, excluding tax and shipping (the usual basis of
points programs, e.g. Smile.io's "points per $1 spent"): 59.00 USD -> 59
points, 12.345 JOD -> 12 points, 1500 JPY -> 1500 points. Guest orders earn
nothing. Points are earned when the order becomes paid: the `order.paid`
fan-out (services.notifications) calls `earn_for_order` before it notifies,
so the email can say how many points the order earned. The ledger key
`earn:order:{order id}` is UNIQUE, so a retried or duplicated fan-out never
earns twice.

An erased account forfeits its balance through one `adjust` line (`forfeit_points`):
the ledger keeps summing to the balance.
"""

from __future__ import annotations

import datetime as dt

import peewee

import config
from models.db import atomic, is_postgres, isoformat, utcnow
from models.loyalty import LoyaltyAccount, LoyaltyTransaction
from models.orders import Order
from models.users import User

RECENT_TRANSACTIONS = 20


def points_for_amount(amount_minor: int, currency: str) -> int:
    """Whole currency units in `amount_minor` (minor units of `currency`), floored at 0."""
    exponent = config.CURRENCY_EXPONENTS.get(currency.upper(), 2)
    return max(0, int(amount_minor)) // (10 ** exponent)


def _account_for_update(user_id: str) -> LoyaltyAccount:
    """The user's account, created if missing (call inside a transaction)."""
    LoyaltyAccount.insert(user=user_id).on_conflict_ignore().execute()
    query = LoyaltyAccount.select().where(LoyaltyAccount.user == user_id)
    if is_postgres():
        query = query.for_update()
    return query.get()


def earn_for_order(order_id: str) -> LoyaltyTransaction | None:
    """Credit the points of paid order `order_id` to its customer, once.

    Returns the ledger line (the existing one when already earned), or None
    for a guest order, an unpaid order or an order worth 0 points.
    """
    order = Order.get_or_none(Order.id == order_id)
    if order is None or order.customer_id is None or order.payment_status not in ("paid", "refunded"):
        return None
    key = f"earn:order:{order.id}"
    existing = LoyaltyTransaction.get_or_none(LoyaltyTransaction.key == key)
    if existing is not None:
        return existing
    points = points_for_amount(order.subtotal - order.discount, order.currency)
    if points <= 0:
        return None
    try:
        with atomic():
            account = _account_for_update(order.customer_id)
            now = utcnow()
            line = LoyaltyTransaction.create(
                account=account, type="earn", points=points, balance_after=account.points_balance + points,
                description=f"Order {order.order_number}", order_id=order.id, key=key, created_at=now)
            LoyaltyAccount.update(points_balance=LoyaltyAccount.points_balance + points,
                                  lifetime_earned=LoyaltyAccount.lifetime_earned + points,
                                  last_activity_at=now, updated_at=now).where(LoyaltyAccount.id == account.id).execute()
            return line
    except peewee.IntegrityError:  # a concurrent run earned it first
        return LoyaltyTransaction.get(LoyaltyTransaction.key == key)


def get_account(user: User) -> LoyaltyAccount | None:
    """The user's account, or None before their first earning."""
    return LoyaltyAccount.get_or_none(LoyaltyAccount.user == user.id)


def points_balance(user_id: str) -> int:
    """The user's current points balance (0 before their first earning)."""
    return LoyaltyAccount.select(LoyaltyAccount.points_balance).where(LoyaltyAccount.user == user_id).scalar() or 0


def transactions(user: User, page: int = 1, limit: int = RECENT_TRANSACTIONS) -> tuple[list[LoyaltyTransaction], int]:
    """A page of the user's ledger, newest first. Returns (lines, total)."""
    query = (LoyaltyTransaction.select().join(LoyaltyAccount)
             .where(LoyaltyAccount.user == user.id))
    total = query.count()
    lines = list(query.order_by(LoyaltyTransaction.created_at.desc(), LoyaltyTransaction.id.desc())
                 .paginate(page, limit))
    return lines, total


def transaction_view(line: LoyaltyTransaction) -> dict:
    """A ledger line: id, type earn|redeem|adjust, points (signed), balanceAfter, description, orderId, createdAt."""
    return {"id": line.id, "type": line.type, "points": line.points, "balanceAfter": line.balance_after,
            "description": line.description, "orderId": line.order_id, "createdAt": isoformat(line.created_at)}


def summary_view(user: User) -> dict:
    """`GET /loyalty`: balance, lifetime earned, last activity and the 20 most recent ledger lines."""
    account = get_account(user)
    lines, _ = transactions(user)
    return {
        "userId": user.id,
        "balance": account.points_balance if account else 0,
        "lifetimeEarned": account.lifetime_earned if account else 0,
        "lastActivityAt": isoformat(account.last_activity_at) if account else None,
        "transactions": [transaction_view(line) for line in lines],
    }


def accounts_with_unused_points(older_than_days: int, limit: int | None = None) -> list[str]:
    """User ids to remind about unused points: a positive balance, no earning or
    redeeming for `older_than_days` days, not reminded in that period either,
    and an active account. Oldest activity first; at most `limit` ids.

    The `loyalty.points_reminder` fan-out stamps `reminded_at` (see `mark_reminded`),
    so a daily scheduler does not remind the same customer every day.
    """
    cutoff = utcnow() - dt.timedelta(days=older_than_days)
    query = (LoyaltyAccount.select(LoyaltyAccount.user).join(User)
             .where(LoyaltyAccount.points_balance > 0, LoyaltyAccount.last_activity_at <= cutoff,
                    LoyaltyAccount.reminded_at.is_null() | (LoyaltyAccount.reminded_at <= cutoff),
                    User.is_active == True)  # noqa: E712
             .order_by(LoyaltyAccount.last_activity_at, LoyaltyAccount.id))
    if limit:
        query = query.limit(limit)
    return [row.user_id for row in query]


def mark_reminded(user_id: str) -> None:
    """Record that the user was reminded about unused points now."""
    LoyaltyAccount.update(reminded_at=utcnow()).where(LoyaltyAccount.user == user_id).execute()


def forfeit_points(user_id: str, key: str, description: str) -> int:
    """Take the user's whole balance away with one `adjust` ledger line (`points` = -balance,
    `balance_after` 0), so the ledger still sums to the balance; `key` (UNIQUE) makes it happen
    once (an erased account: `forfeit:erasure:{user id}`). Returns the points forfeited: 0 without
    an account or points, or when `key` was used already. Call inside a transaction."""
    query = LoyaltyAccount.select().where(LoyaltyAccount.user == user_id)
    if is_postgres():
        query = query.for_update()
    account = query.first()
    if account is None or account.points_balance <= 0 \
            or LoyaltyTransaction.select().where(LoyaltyTransaction.key == key).exists():
        return 0
    points, now = account.points_balance, utcnow()
    LoyaltyTransaction.create(account=account, type="adjust", points=-points, balance_after=0,
                              description=description[:255], key=key, created_at=now)
    LoyaltyAccount.update(points_balance=LoyaltyAccount.points_balance - points, updated_at=now).where(
        LoyaltyAccount.id == account.id).execute()
    return points
