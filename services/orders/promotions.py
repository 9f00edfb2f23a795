"""Promotion codes on carts and orders (issue 10; seeds 001, 003, 004): checking a code against a
cart and customer, applying and removing it, the codes a customer may use, and counting uses at
checkout under the limits.

A cart carries at most one code (like Shopify's one discount code per checkout): applying
another while one is on the cart is 409 `discount_already_applied`; remove it first. The checks,
in the order seed 004 answers them:

- 400 `discount_invalid`: no such code, inactive, not valid yet, or another customer's personal
  code; 400 `discount_requires_account`: a code limited per customer needs a signed-in customer
  (a guest's uses cannot be counted);
- 410 `discount_expired` (past `ends_at`), `discount_used_up` (the overall limit is reached, or
  this customer's);
- 422 `discount_minimum_not_met` (the cart subtotal is below `minimum_amount`),
  `discount_not_applicable` (none of the cart's lines is in its categories or products).

Checkout checks again when it starts and when the order is placed; placing the order records a
`DiscountUse` and raises `usage_count` in the same transaction, with the code's row locked
(`FOR UPDATE` on PostgreSQL; SQLite's write lock), so N customers racing for the last use get
exactly one (the others' checkouts fail 410 `discount_exhausted`). A cancelled order gives its
use back (`return_use`).
"""

from __future__ import annotations

import peewee

from models.carts import Cart, DiscountCode
from models.db import atomic, is_postgres, isoformat, utcnow
from models.orders import DiscountUse
from models.users import User
from services.errors import Conflict, NotFound, ValidationFailed
from services.orders import pricing
from services.orders.carts import CartLine, cart_view, load_lines, touch_cart, writable_cart
from services.orders.promotion_scope import eligible_subtotal


def normalise(code: str) -> str:
    """Codes are matched upper-case, without surrounding spaces ("save20 " -> "SAVE20")."""
    return (code or "").strip().upper()


def find_code(code: str) -> DiscountCode | None:
    """The promotion with code `code` (any case), or None."""
    return DiscountCode.get_or_none(DiscountCode.code == normalise(code))


def customer_uses(code_id: str, customer_id: str) -> int:
    """Orders of `customer_id` that used the code (cancelled ones gave theirs back)."""
    return DiscountUse.select().where(DiscountUse.discount == code_id, DiscountUse.customer == customer_id).count()


def _invalid(message: str, reason: str) -> ValidationFailed:
    return ValidationFailed(message, reason=reason, status=400,
                            details=[{"field": "discountCode", "message": message}])


def check_usable(code: DiscountCode | None, customer_id: str | None) -> DiscountCode:
    """Raise unless `code` may be used now by `customer_id` (None: a guest), whatever the cart:
    400 `discount_invalid` / `discount_requires_account`, 410 `discount_expired` /
    `discount_used_up` (see the module docstring). Returns the code."""
    now = utcnow()
    if code is None or not code.active or (code.starts_at and now < code.starts_at):
        raise _invalid("Invalid discount code", reason="discount_invalid")
    if code.customer_id and code.customer_id != customer_id:
        raise _invalid("Invalid discount code", reason="discount_invalid")
    if code.ends_at and now > code.ends_at:
        raise Conflict("Discount code has expired", reason="discount_expired", status=410)
    if code.usage_limit is not None and code.usage_count >= code.usage_limit:
        raise Conflict("Discount code has been used up", reason="discount_used_up", status=410)
    if code.per_customer_limit is not None:
        if customer_id is None:
            raise _invalid("Sign in to use this discount code", reason="discount_requires_account")
        if customer_uses(code.id, customer_id) >= code.per_customer_limit:
            raise Conflict("You have already used this discount code", reason="discount_used_up", status=410)
    return code


def check_for_cart(code: DiscountCode | None, customer_id: str | None, lines: list[CartLine],
                   shipping_price: int | None = None) -> pricing.Totals:
    """`check_usable`, then the cart checks: 422 `discount_minimum_not_met`,
    `discount_not_applicable`. Returns the cart's totals with the code."""
    check_usable(code, customer_id)
    priced = [(line.unit_price, line.item.quantity) for line in lines]
    subtotal = sum(price * qty for price, qty in priced)
    if subtotal < code.minimum_amount:
        raise ValidationFailed("Minimum order amount not met", reason="discount_minimum_not_met",
                               details=[{"field": "discountCode",
                                         "message": f"Needs a subtotal of at least {code.minimum_amount}"}])
    eligible = eligible_subtotal(code, lines)
    if not lines or eligible == 0:  # an empty cart has nothing a code could apply to
        raise ValidationFailed("The discount code does not apply to any item in the cart",
                               reason="discount_not_applicable",
                               details=[{"field": "discountCode", "message": "No eligible item in the cart"}])
    return pricing.compute_totals(priced, shipping_price, code, eligible)


def code_summary(code: DiscountCode) -> dict:
    """What a customer sees of a code: `{"code", "type", "value", "description", "minOrderAmount",
    "maxDiscount", "validUntil"}` (money in minor units; `value` is a percentage for type
    percentage, minor units for fixed_amount, 0 for free_shipping)."""
    return {"code": code.code, "type": code.kind, "value": code.value, "description": code.description,
            "minOrderAmount": code.minimum_amount, "maxDiscount": code.maximum_discount,
            "validUntil": isoformat(code.ends_at) if code.ends_at else None}


def _applied(code: DiscountCode, totals: pricing.Totals, cart: Cart) -> dict:
    return {**code_summary(code), "discountAmount": totals.discount + totals.shipping_discount,
            "cart": cart_view(cart)}


def apply_code(cart: Cart, code: str, user: User | None) -> dict:
    """Put promotion `code` on `cart` (seed 004 `POST /checkout/discount`, seed 001 `POST
    /cart/apply-promo`), in one transaction that locks the cart. Returns `{"code", "type",
    "value", ..., "discountAmount" (minor units: goods discount plus shipping waived, at the
    standard shipping price), "cart": <cart view>}`. Raises Conflict (409 `cart_not_active`,
    `discount_already_applied`) and the errors of `check_for_cart`."""
    with atomic():
        fresh = writable_cart(cart)
        if fresh.discount_code:
            same = fresh.discount_code == normalise(code)
            raise Conflict("This discount code is already applied" if same else
                           "A discount code is already applied; remove it first", reason="discount_already_applied",
                           details=[{"field": "discountCode", "message": f"{fresh.discount_code} is applied"}])
        promotion = find_code(code)
        totals = check_for_cart(promotion, fresh.customer_id, load_lines(cart.id, with_images=False))
        touch_cart(cart, discount_code=promotion.code)
    return _applied(promotion, totals, cart)


def remove_code(cart: Cart) -> Cart:
    """Take the promotion code off `cart` (none on it: nothing changes), in one transaction that
    locks the cart. Raises Conflict (409 `cart_not_active` / `cart_expired`)."""
    with atomic():
        fresh = writable_cart(cart)
        if fresh.discount_code:
            touch_cart(cart, discount_code=None)
    return cart


def validate_code(code: str, user: User | None, cart: Cart | None = None) -> dict:
    """Seed 001 `GET /promos/validate/{code}`: `{"valid": true, **code_summary}`, plus
    `"discountAmount"` (minor units) when `cart` is given (then checked against it too). Raises
    the errors of `check_usable` / `check_for_cart`, and NotFound (404 `promo_code_not_found`) for
    a code no promo has (seed 004's 400 stays for putting one on a cart)."""
    promotion = find_code(code)
    if promotion is None:
        raise NotFound("Promo code not found", reason="promo_code_not_found")
    customer_id = user.id if user else None
    if cart is None:
        check_usable(promotion, customer_id)
        return {"valid": True, **code_summary(promotion)}
    totals = check_for_cart(promotion, cart.customer_id or customer_id, load_lines(cart.id, with_images=False))
    return {"valid": True, **code_summary(promotion), "discountAmount": totals.discount + totals.shipping_discount}


def eligible_codes(user: User) -> list[dict]:
    """Seed 001 `GET /promos/user-eligible`: the codes `user` may use now (active, inside their
    window, not used up overall or by them; public codes and their own personal ones), soonest
    ending first, each `code_summary` plus `"usesLeft"` (this customer's, null: unlimited)."""
    now = utcnow()
    query = (DiscountCode.select()
             .where(DiscountCode.active == True,  # noqa: E712
                    DiscountCode.starts_at.is_null() | (DiscountCode.starts_at <= now),
                    DiscountCode.ends_at.is_null() | (DiscountCode.ends_at >= now),
                    DiscountCode.usage_limit.is_null() | (DiscountCode.usage_count < DiscountCode.usage_limit),
                    DiscountCode.customer.is_null() | (DiscountCode.customer == user.id))
             .order_by(DiscountCode.ends_at.is_null(), DiscountCode.ends_at, DiscountCode.code))
    codes = list(query)
    used = dict(DiscountUse.select(DiscountUse.discount, peewee.fn.COUNT(DiscountUse.id))
                .where(DiscountUse.customer == user.id, DiscountUse.discount.in_([c.id for c in codes]))
                .group_by(DiscountUse.discount).tuples()) if codes else {}
    out = []
    for code in codes:
        left = None if code.per_customer_limit is None else code.per_customer_limit - used.get(code.id, 0)
        if left is None or left > 0:
            out.append({**code_summary(code), "usesLeft": left})
    return out


def lock_usable(code: DiscountCode | None, customer_id: str | None) -> DiscountCode:
    """The code's row locked for the order's transaction (`FOR UPDATE` on PostgreSQL; SQLite's write
    lock), checked again (`check_usable`): a code used up meanwhile raises 410
    `discount_exhausted`, any other failure its own error. Call before `record_use`."""
    if code is None:
        return check_usable(None, customer_id)
    query = DiscountCode.select().where(DiscountCode.id == code.id)
    locked = (query.for_update() if is_postgres() else query).first()
    try:
        return check_usable(locked, customer_id)
    except Conflict as exc:
        if exc.reason == "discount_used_up":
            raise Conflict("Discount code usage limit reached", reason="discount_exhausted", status=410) from exc
        raise


def record_use(code: DiscountCode, order_id: str, customer_id: str | None, amount: int) -> None:
    """Count one use of `code` (locked by `lock_usable` in this transaction) by order `order_id`:
    `usage_count` raised and the `DiscountUse` (`amount` minor units) written."""
    DiscountCode.update(usage_count=DiscountCode.usage_count + 1).where(DiscountCode.id == code.id).execute()
    DiscountUse.create(discount=code.id, order=order_id, customer=customer_id, amount=amount)


def return_use(order_id: str) -> bool:
    """Give back the code use of a cancelled order (call inside the cancellation's transaction):
    its `DiscountUse` deleted and `usage_count` lowered, once. True when a use was returned."""
    use = DiscountUse.get_or_none(DiscountUse.order == order_id)
    if use is None or not DiscountUse.delete().where(DiscountUse.id == use.id).execute():
        return False
    DiscountCode.update(usage_count=DiscountCode.usage_count - 1, updated_at=utcnow()).where(
        DiscountCode.id == use.discount_id, DiscountCode.usage_count > 0).execute()
    return True
