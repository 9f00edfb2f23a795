"""Redeeming points (seed 003 `POST /loyalty/redeem`): points for a discount on the next order.

A redemption turns `points` into a personal, single-use promotion code (a `models.carts.
DiscountCode` row: kind `fixed_amount`, `value` = points x LOYALTY_POINT_VALUE minor units of
the shop currency, default 1: 100 points = 1.00 USD; `customer` = the customer, usage limit 1
overall and per customer, valid REWARD_VALID_DAYS = 90 days, code `RWD-` + 8 random characters
of an unambiguous alphabet, description "Loyalty reward: N points") and a `redeem` ledger line
of -points (key `redeem:{code id}`), in one transaction with the account row locked (`FOR
UPDATE` on PostgreSQL; SQLite's write lock), the balance lowered by a conditional UPDATE
(`... WHERE points_balance >= points`) and the CHECK `points_balance >= 0` behind both: N
concurrent redemptions never overspend.

Rules: at least MIN_REDEEM_POINTS = 100 points (422 `redeem_below_minimum`), in multiples of
REDEEM_STEP = 100 (422 `redeem_not_in_steps`), at most MAX_REDEEM_POINTS = 1 000 000 per
redemption (422 `redeem_above_maximum`), never more than the balance (422
`insufficient_points`: the request is well-formed but asks for what the account does not have,
as a payment API answers an amount over the balance). Redeeming counts as activity (it
postpones expiry).

The code is then applied like any promotion code (`POST /api/v1/checkout/discount`,
services.orders.promotions): only its customer may use it, once; the discount is at most the
goods subtotal (a larger reward is not split). Cancelling an order that used it gives the use
back (services.orders.promotions.return_use), so the customer can use the same code again
before it expires: that is how a redemption is reversed on cancellation; the points stay
spent. A code left unused past its end date is not turned back into points.
"""

from __future__ import annotations

import datetime as dt
import secrets

import peewee

import config
from models.carts import DiscountCode
from models.db import atomic, isoformat, utcnow
from models.loyalty import LoyaltyAccount, LoyaltyTransaction
from models.users import User
from services.errors import ValidationFailed
from services.loyalty.ledger import _account_for_update

MIN_REDEEM_POINTS = 100
REDEEM_STEP = 100
MAX_REDEEM_POINTS = 1_000_000
REWARD_VALID_DAYS = 90
CODE_PREFIX = "RWD-"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone
CODE_LENGTH = 8  # 32^8 = 2^40 codes
CODE_ATTEMPTS = 5


def _rejected(message: str, reason: str) -> ValidationFailed:
    return ValidationFailed(message, reason=reason, details=[{"field": "points", "message": message}])


def check_points(points) -> int:
    """`points` if it is a redeemable amount (an integer, MIN_REDEEM_POINTS to MAX_REDEEM_POINTS,
    a multiple of REDEEM_STEP). Raises ValidationFailed (422 `redeem_below_minimum`,
    `redeem_not_in_steps`, `redeem_above_maximum`)."""
    if isinstance(points, bool) or not isinstance(points, int) or points < MIN_REDEEM_POINTS:
        raise _rejected(f"Redeem at least {MIN_REDEEM_POINTS} points", reason="redeem_below_minimum")
    if points > MAX_REDEEM_POINTS:
        raise _rejected(f"Redeem at most {MAX_REDEEM_POINTS} points at once", reason="redeem_above_maximum")
    if points % REDEEM_STEP:
        raise _rejected(f"Redeem points in multiples of {REDEEM_STEP}", reason="redeem_not_in_steps")
    return points


def reward_value(points: int) -> int:
    """The discount `points` buy, in minor units of the shop currency (LOYALTY_POINT_VALUE each)."""
    return points * config.get().loyalty_point_value


def _new_code() -> str:
    return CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _create_code(user_id: str, points: int, value: int, now: dt.datetime) -> DiscountCode:
    """The reward's DiscountCode; a random code already taken is drawn again (a savepoint each)."""
    for attempt in range(CODE_ATTEMPTS):
        try:
            with atomic():  # a savepoint: a taken code undoes only this insert
                return DiscountCode.create(
                    code=_new_code(), kind="fixed_amount", value=value, minimum_amount=0, usage_limit=1,
                    per_customer_limit=1, customer=user_id, description=f"Loyalty reward: {points} points",
                    starts_at=now, ends_at=now + dt.timedelta(days=REWARD_VALID_DAYS), active=True,
                    created_at=now, updated_at=now)
        except peewee.IntegrityError:
            if attempt == CODE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def redeem_points(user: User, points) -> dict:
    """Spend `points` of the user's balance on a reward code (module docstring), in one
    transaction. Returns `{"code", "value" (minor units), "currency", "points", "balance" (after),
    "expiresAt"}`. Raises ValidationFailed (422: redeem_below_minimum, redeem_not_in_steps,
    redeem_above_maximum, insufficient_points)."""
    points = check_points(points)
    value = reward_value(points)
    with atomic():
        account = _account_for_update(user.id)
        if account.points_balance < points:
            raise _rejected(f"Only {account.points_balance} points available", reason="insufficient_points")
        now = utcnow()
        code = _create_code(user.id, points, value, now)
        balance = account.points_balance - points
        LoyaltyTransaction.create(account=account, type="redeem", points=-points, balance_after=balance,
                                  description=f"Reward code {code.code}", key=f"redeem:{code.id}", created_at=now)
        spent = (LoyaltyAccount.update(points_balance=LoyaltyAccount.points_balance - points, last_activity_at=now,
                                       updated_at=now)
                 .where(LoyaltyAccount.id == account.id, LoyaltyAccount.points_balance >= points).execute())
        if not spent:  # cannot happen under the row lock; the conditional UPDATE is the second guard
            raise _rejected("Not enough points available", reason="insufficient_points")
    return {"code": code.code, "value": value, "currency": config.get().currency, "points": points,
            "balance": balance, "expiresAt": isoformat(code.ends_at)}
