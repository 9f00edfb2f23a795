"""Loyalty points (seeds 000, 003): earning on paid orders and interactions, the balance, the
ledger, reversals, and the accounts to remind about unused points.

Earning rule: 1 point per whole currency unit of the order's merchandise
subtotal after discounts, excluding tax and shipping (the usual basis of
points programs, e.g. Smile.io's "points per $1 spent"): 59.00 USD -> 59
points, 12.345 JOD -> 12 points, 1500 JPY -> 1500 points, then multiplied by the
customer's tier multiplier at earning time, rounded down (59 points x1.25 in silver -> 73; the
ledger line says so: "Order SKN-2025-000123: 59 points x1.25 (silver tier)"). Guest orders earn
nothing. Points are earned when the order becomes paid: the `order.paid`
fan-out (services.notifications) calls `earn_for_order` before it notifies,
so the email can say how many points the order earned. The ledger key
`earn:order:{order id}` is UNIQUE, so a retried or duplicated fan-out never
earns twice.

Interactions (seed 000) earn a fixed number of points, without the tier multiplier, once per
subject through the UNIQUE key: an approved review `LOYALTY_REVIEW_POINTS` (default 50; key
`earn:review:{review id}`) and a completed profile `LOYALTY_PROFILE_POINTS` (default 100; key
`earn:profile:{user id}`; completed = first name, last name, phone and date of birth all set).
0 turns either off. Every earning raises `lifetime_earned`, moves the account to the tier it
reaches (services.loyalty.tiers) and counts as activity (`last_activity_at`, which expiry
reads).

A cancelled or refunded paid order's points are taken back once by `reverse_order_points`
(one `reverse` line, key `reverse:order:{order id}`), capped at the current balance: points
already spent (redeemed) are not clawed back, so the balance never goes negative and the
customer keeps the difference, as Smile.io does. The order's earned points leave
`lifetime_earned` too (the purchase no longer counts towards a tier).

An erased account forfeits its balance through one `adjust` line (`forfeit_points`):
the ledger keeps summing to the balance.
"""

from __future__ import annotations

import datetime as dt

import peewee

import config
from models.db import atomic, is_postgres, isoformat, utcnow
from models.loyalty import BASE_TIER, LoyaltyAccount, LoyaltyTransaction
from models.orders import Order
from models.profiles import CustomerProfile
from models.users import User
from services.loyalty import tiers as tier_rules

RECENT_TRANSACTIONS = 20
EARNING_PAYMENT_STATUSES = ("paid", "partially_refunded", "refunded")  # an order in these has been paid: it earns


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


def _credit(account: LoyaltyAccount, points: int, key: str, description: str, order_id: str | None = None,
            tiers: list | None = None) -> LoyaltyTransaction:
    """Write an `earn` line of `points` (> 0) on the locked `account` and raise its balance and
    lifetime points, moving it to the tier those reach; the account is active now. Raises
    peewee.IntegrityError when `key` was used (the caller's savepoint or transaction rolls back)."""
    now = utcnow()
    lifetime = account.lifetime_earned + points
    tier = tier_rules.tier_for_points(lifetime, tiers)
    line = LoyaltyTransaction.create(
        account=account, type="earn", points=points, balance_after=account.points_balance + points,
        description=description[:255], order_id=order_id, key=key, created_at=now)
    LoyaltyAccount.update(points_balance=LoyaltyAccount.points_balance + points,
                          lifetime_earned=LoyaltyAccount.lifetime_earned + points, tier=tier.name,
                          last_activity_at=now, updated_at=now).where(LoyaltyAccount.id == account.id).execute()
    return line


def earn_for_order(order_id: str) -> LoyaltyTransaction | None:
    """Credit the points of paid order `order_id` to its customer, once: `points_for_amount(subtotal
    - discount)` times the multiplier of the tier the customer is in before this order (their
    lifetime points under the current tiers), rounded down.

    Returns the ledger line (the existing one when already earned), or None
    for a guest order, an unpaid order, an order worth 0 points or an order whose points were
    reversed (`reverse_order_points` ran first: it was cancelled before the fan-out earned).
    """
    order = Order.get_or_none(Order.id == order_id)
    if order is None or order.customer_id is None or order.payment_status not in EARNING_PAYMENT_STATUSES:
        return None
    key = f"earn:order:{order.id}"
    existing = LoyaltyTransaction.get_or_none(LoyaltyTransaction.key == key)
    if existing is not None:
        return existing
    base = points_for_amount(order.subtotal - order.discount, order.currency)
    if base <= 0:
        return None
    try:
        with atomic():
            account = _account_for_update(order.customer_id)
            if LoyaltyTransaction.select().where(LoyaltyTransaction.key == f"reverse:order:{order.id}").exists():
                return None  # checked under the account's lock, which reverse_order_points takes too
            tiers = tier_rules.active_tiers()
            tier = tier_rules.tier_for_points(account.lifetime_earned, tiers)
            points = base * tier.multiplier_permille // 1000
            description = (f"Order {order.order_number}: {base} points "
                           f"x{tier_rules.multiplier_text(tier.multiplier_permille)} ({tier.name} tier)")
            return _credit(account, points, key, description, order.id, tiers)
    except peewee.IntegrityError:  # a concurrent run earned it first
        return LoyaltyTransaction.get(LoyaltyTransaction.key == key)


def _earn_once(user_id: str, points: int, key: str, description: str) -> LoyaltyTransaction | None:
    """Credit `points` to the user once under `key`, inside the caller's transaction (a savepoint:
    a concurrent duplicate undoes only itself) or in its own. Returns the new line, or None when
    `key` was used already or `points` is 0."""
    if points <= 0 or LoyaltyTransaction.select().where(LoyaltyTransaction.key == key).exists():
        return None
    try:
        with atomic():  # a savepoint inside the caller's transaction
            return _credit(_account_for_update(user_id), points, key, description)
    except peewee.IntegrityError:
        return None


def earn_for_review(review_id: str, user_id: str) -> LoyaltyTransaction | None:
    """Credit `LOYALTY_REVIEW_POINTS` to the author `user_id` of approved review `review_id`, once
    (key `earn:review:{review id}`; approving it again earns nothing). Call in the approval's
    transaction. Returns the new line, or None (already earned, or the rule is off)."""
    return _earn_once(user_id, config.get().loyalty_review_points, f"earn:review:{review_id}",
                      "Approved product review")


def profile_completed(user_id: str) -> bool:
    """Whether the user's profile is complete: first name, last name, phone and date of birth set."""
    user = User.get_or_none(User.id == user_id)
    if user is None or not (user.first_name or "").strip() or not (user.last_name or "").strip() or not user.phone:
        return False
    profile = CustomerProfile.get_or_none(CustomerProfile.user == user_id)
    return bool(profile is not None and profile.date_of_birth)


def earn_for_profile(user_id: str) -> LoyaltyTransaction | None:
    """Credit `LOYALTY_PROFILE_POINTS` once when the user's profile is complete
    (`profile_completed`; key `earn:profile:{user id}`: emptying and completing it again earns
    nothing). Call in the profile write's transaction, after the write. Returns the new line, or
    None (incomplete, already earned, or the rule is off)."""
    key = f"earn:profile:{user_id}"
    points = config.get().loyalty_profile_points
    if points <= 0 or LoyaltyTransaction.select().where(LoyaltyTransaction.key == key).exists() \
            or not profile_completed(user_id):
        return None
    return _earn_once(user_id, points, key, "Completed profile")


def reverse_order_points(order_id: str) -> int:
    """Take back the points order `order_id` earned (its cancellation or refund), once: one
    `reverse` line (key `reverse:order:{order id}`) of -min(points earned, current balance), so the
    balance never goes negative (points already redeemed stay with the customer); the order's
    earned points also leave `lifetime_earned` (floored at 0) and the account moves to the tier
    the rest reaches. A paid order that has not earned yet (its `order.paid` fan-out is still to
    run) gets a 0-point `reverse` line, so it never earns. Call inside the caller's transaction:
    the account row is locked (as `earn_for_order` locks it, so the two never miss each other)
    and a savepoint makes a concurrent duplicate undo only itself. Returns the points taken
    back: 0 for a guest or unpaid order, one that earned nothing, or one reversed already."""
    key = f"reverse:order:{order_id}"
    order = Order.get_or_none(Order.id == order_id)
    if order is None or order.customer_id is None \
            or LoyaltyTransaction.select().where(LoyaltyTransaction.key == key).exists():
        return 0
    try:
        with atomic():  # a savepoint inside the caller's transaction
            account = _account_for_update(order.customer_id)
            earned = LoyaltyTransaction.get_or_none(LoyaltyTransaction.key == f"earn:order:{order.id}")
            if earned is None and order.payment_status not in EARNING_PAYMENT_STATUSES:
                return 0  # never paid: it cannot earn
            earned_points = earned.points if earned is not None else 0
            taken = min(earned_points, account.points_balance)
            lifetime = max(0, account.lifetime_earned - earned_points)
            if earned is None:
                description = f"Order {order.order_number} cancelled before its points were earned"
            else:
                description = f"Order {order.order_number} cancelled: {earned_points} points reversed"
                if earned_points > taken:
                    description += f" ({earned_points - taken} already spent, kept)"
            now = utcnow()
            LoyaltyTransaction.create(account=account, type="reverse", points=-taken,
                                      balance_after=account.points_balance - taken, description=description[:255],
                                      order_id=order.id, key=key, created_at=now)
            LoyaltyAccount.update(points_balance=LoyaltyAccount.points_balance - taken, lifetime_earned=lifetime,
                                  tier=tier_rules.tier_for_points(lifetime).name, updated_at=now).where(
                LoyaltyAccount.id == account.id).execute()
            return taken
    except peewee.IntegrityError:  # reversed concurrently
        return 0


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
    """A ledger line (seed 003 history): id, type earn|redeem|adjust|expire|reverse, points (signed),
    balanceAfter, description, orderId, createdAt."""
    return {"id": line.id, "type": line.type, "points": line.points, "balanceAfter": line.balance_after,
            "description": line.description, "orderId": line.order_id, "createdAt": isoformat(line.created_at)}


def summary_view(user: User) -> dict:
    """`GET /loyalty`: balance, tier, lifetime earned, last activity and the 20 most recent ledger lines."""
    account = get_account(user)
    lines, _ = transactions(user)
    return {
        "userId": user.id,
        "balance": account.points_balance if account else 0,
        "tier": account.tier if account else BASE_TIER,
        "lifetimeEarned": account.lifetime_earned if account else 0,
        "lastActivityAt": isoformat(account.last_activity_at) if account else None,
        "transactions": [transaction_view(line) for line in lines],
    }


def expires_at(account: LoyaltyAccount | None) -> dt.datetime | None:
    """When the account's balance expires if nothing is earned or redeemed before:
    `last_activity_at` + LOYALTY_POINTS_EXPIRY_DAYS; None without points or with expiry off (0)."""
    days = config.get().loyalty_points_expiry_days
    if account is None or account.points_balance <= 0 or days <= 0:
        return None
    return account.last_activity_at + dt.timedelta(days=days)


def points_view(user: User) -> dict:
    """`GET /loyalty/points` (seed 003): `{"points", "tier", "multiplier", "lifetimeEarned",
    "nextTier": {"name", "minPoints", "pointsNeeded"} | null (null at the top tier), "expiresAt"}`
    (`expires_at`; ISO 8601 UTC or null). `tier` is the stored tier (recomputed on each earn and
    by the recalculation job after a tier change)."""
    account = get_account(user)
    lifetime = account.lifetime_earned if account else 0
    tiers = tier_rules.active_tiers()
    tier_name = account.tier if account else BASE_TIER
    current = next((t for t in tiers if t.name == tier_name), None) or tier_rules.tier_for_points(lifetime, tiers)
    following = tier_rules.next_tier(lifetime, tiers)
    moment = expires_at(account)
    return {
        "points": account.points_balance if account else 0,
        "tier": tier_name,
        "multiplier": current.multiplier_permille / 1000,
        "lifetimeEarned": lifetime,
        "nextTier": None if following is None else {"name": following.name, "minPoints": following.min_points,
                                                    "pointsNeeded": following.min_points - lifetime},
        "expiresAt": isoformat(moment) if moment else None,
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
