"""Managing promotion codes (seed 001 `POST/GET/PUT/DELETE /promos`, staff): create, list, read,
update, delete, and the admin view of a code.

Rules: the code is stored upper-case and unique (409 `promo_code_taken`); a percentage is 1-100,
a fixed amount at least 1 minor unit, free shipping has value 0 (422 `invalid_promo_value`);
`validFrom` before `validUntil` (422 `invalid_promo_window`); named categories, products and the
personal customer must exist (422 `unknown_category_id`, `unknown_product_id`,
`customer_not_found`). A code some order used cannot be deleted (409 `promo_in_use`: deactivate
it instead), so the orders keep their record; an unused one is deleted.
"""

from __future__ import annotations

import peewee

from models.carts import PROMOTION_KINDS, Cart, DiscountCode
from models.catalog import Category, Product
from models.db import atomic, isoformat, utcnow
from models.orders import DiscountUse
from models.users import User
from services.errors import Conflict, NotFound, ValidationFailed
from services.orders.promotions import normalise

FIELDS = ("kind", "value", "description", "minimum_amount", "maximum_discount", "usage_limit",
          "per_customer_limit", "starts_at", "ends_at", "category_ids", "product_ids", "customer_id", "active")
"""What a create or update may set besides `code` (service names; web.promos maps seed 001's)."""


def promo_view(code: DiscountCode) -> dict:
    """A code for staff: `{"id", "code", "type", "value", "description", "minOrderAmount",
    "maxDiscount", "usageLimit", "perCustomerLimit", "usedCount", "validFrom", "validUntil",
    "applicableCategories", "applicableProducts", "customerId", "isActive", "createdBy",
    "createdAt", "updatedAt"}` (seed 001's PromoCode names; money in minor units)."""
    return {"id": code.id, "code": code.code, "type": code.kind, "value": code.value,
            "description": code.description, "minOrderAmount": code.minimum_amount,
            "maxDiscount": code.maximum_discount, "usageLimit": code.usage_limit,
            "perCustomerLimit": code.per_customer_limit, "usedCount": code.usage_count,
            "validFrom": isoformat(code.starts_at) if code.starts_at else None,
            "validUntil": isoformat(code.ends_at) if code.ends_at else None,
            "applicableCategories": list(code.category_ids or []), "applicableProducts": list(code.product_ids or []),
            "customerId": code.customer_id, "isActive": code.active, "createdBy": code.created_by_id,
            "createdAt": isoformat(code.created_at), "updatedAt": isoformat(code.updated_at)}


def get_promo(promo_id: str) -> DiscountCode:
    """Raises NotFound (404 `promo_not_found`)."""
    code = DiscountCode.get_or_none(DiscountCode.id == promo_id)
    if code is None:
        raise NotFound("Promo code not found", reason="promo_not_found")
    return code


def list_promos(active: bool | None = None, q: str | None = None, page: int = 1,
                limit: int = 20) -> tuple[list[DiscountCode], int]:
    """Codes newest first, filtered by `active` and a code prefix `q`. Returns (page, total)."""
    query = DiscountCode.select()
    if active is not None:
        query = query.where(DiscountCode.active == active)
    if q:
        query = query.where(DiscountCode.code.startswith(normalise(q)))
    total = query.count()
    return list(query.order_by(DiscountCode.created_at.desc(), DiscountCode.id.desc()).paginate(page, limit)), total


def _check(values: dict) -> None:
    """Raise ValidationFailed (422) unless the code's merged `values` are coherent (module docstring)."""
    kind, value = values["kind"], values["value"]
    if kind not in PROMOTION_KINDS:
        raise ValidationFailed.for_field("type", f"One of {', '.join(PROMOTION_KINDS)}", reason="invalid_promo_value")
    if kind == "percentage" and not 1 <= value <= 100:
        raise ValidationFailed.for_field("value", "A percentage is between 1 and 100", reason="invalid_promo_value")
    if kind == "fixed_amount" and value < 1:
        raise ValidationFailed.for_field("value", "A fixed amount is at least 1 (minor units)",
                                         reason="invalid_promo_value")
    if kind == "free_shipping" and value != 0:
        raise ValidationFailed.for_field("value", "Free shipping has value 0", reason="invalid_promo_value")
    if values.get("starts_at") and values.get("ends_at") and values["starts_at"] >= values["ends_at"]:
        raise ValidationFailed.for_field("validUntil", "Must be after validFrom", reason="invalid_promo_window")
    categories = set(values.get("category_ids") or [])
    known = {c.id for c in Category.select(Category.id).where(Category.id.in_(categories))} if categories else set()
    if categories - known:
        raise ValidationFailed.for_field("applicableCategories", f"Unknown: {', '.join(sorted(categories - known))}",
                                         reason="unknown_category_id")
    products = set(values.get("product_ids") or [])
    known = {p.id for p in Product.select(Product.id).where(Product.id.in_(products))} if products else set()
    if products - known:
        raise ValidationFailed.for_field("applicableProducts", f"Unknown: {', '.join(sorted(products - known))}",
                                         reason="unknown_product_id")
    if values.get("customer_id") and not User.select().where(User.id == values["customer_id"]).exists():
        raise ValidationFailed.for_field("customerId", "No such customer", reason="customer_not_found")


def _save(code: DiscountCode, new: bool = False) -> DiscountCode:
    try:
        with atomic():
            code.save(force_insert=new)
    except peewee.IntegrityError as exc:
        raise Conflict(f"Promo code {code.code} already exists", reason="promo_code_taken",
                       details=[{"field": "code", "message": "Already used by another promo"}]) from exc
    return code


def create_promo(data: dict, actor: User | None) -> DiscountCode:
    """A new code from `data` (`code`, `kind`, `value` required; the other FIELDS optional),
    created by `actor`. Raises ValidationFailed (422), Conflict (409 `promo_code_taken`)."""
    values = {"description": "", "minimum_amount": 0, "category_ids": [], "product_ids": [], "active": True,
              **{k: data[k] for k in FIELDS if k in data}}
    _check(values)
    now = utcnow()
    code = DiscountCode(code=normalise(data["code"]), created_by=actor.id if actor else None, created_at=now,
                        updated_at=now, **values)
    code.category_ids, code.product_ids = sorted(set(code.category_ids)), sorted(set(code.product_ids))
    return _save(code, new=True)


def update_promo(promo_id: str, data: dict) -> DiscountCode:
    """Change the given fields (and `code`) of a code; its uses stay. Raises NotFound, and as
    `create_promo`."""
    code = get_promo(promo_id)
    values = {k: getattr(code, k) for k in FIELDS}
    values.update({k: data[k] for k in FIELDS if k in data})
    _check(values)
    for key, value in values.items():
        setattr(code, key, sorted(set(value)) if key in ("category_ids", "product_ids") else value)
    old = code.code
    if "code" in data:
        code.code = normalise(data["code"])
    code.updated_at = utcnow()
    with atomic():
        _save(code)
        if code.code != old:  # carts holding it follow the new name
            Cart.update(discount_code=code.code).where(Cart.discount_code == old, Cart.status == "active").execute()
    return code


def delete_promo(promo_id: str) -> None:
    """Delete a code no order used. Raises NotFound, Conflict (409 `promo_in_use`); carts holding
    it lose it."""
    with atomic():
        code = get_promo(promo_id)
        if DiscountUse.select().where(DiscountUse.discount == code.id).exists():
            raise Conflict("Orders used this promo code; deactivate it instead", reason="promo_in_use")
        Cart.update(discount_code=None).where(Cart.discount_code == code.code, Cart.status == "active").execute()
        DiscountCode.delete().where(DiscountCode.id == code.id).execute()
