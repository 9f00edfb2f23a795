"""Back-in-stock requests (seed 001 "notify me"): a signed-in customer asks to be told when a
variant can be bought again; the first change that takes the variant from 0 available units to
more emits `stock.back_in_stock` for the pending requests and marks them notified, so each
request is notified once (asking again after that makes it pending again).

`notify_requesters` runs inside the stock change's transaction, after the level UPDATE: on
PostgreSQL that UPDATE holds the level's row lock until commit, so two concurrent changes of
one variant cannot both pick the same pending requests (SQLite: its single writer).
"""

from __future__ import annotations

from models.catalog import Product, Variant
from models.db import atomic, utcnow
from models.inventory import BackInStockRequest
from models.users import User
from services.errors import NotFound
from services.platform import events

EVENT_BATCH = 500  # user ids per `stock.back_in_stock` event


def _live_variant(product_id: str, variant_id: str) -> Variant:
    """The live variant `variant_id` of the active product `product_id`; NotFound otherwise."""
    variant = (Variant.select(Variant).join(Product)
               .where(Variant.id == variant_id, Variant.product == product_id, Variant.archived_at.is_null(),
                      Product.status == "active").first())
    if variant is None:
        raise NotFound("Variant not found", reason="variant_not_found")
    return variant


def subscribe_back_in_stock(user: User, product_id: str, variant_id: str) -> tuple[BackInStockRequest, bool]:
    """Ask to be told when the variant is back (idempotent). Returns `(request, created)`:
    `created` is False when a pending request of the caller already existed. A request already
    notified becomes pending again (`created` True). Raises NotFound (`variant_not_found`: no
    such live variant of this active product)."""
    with atomic():
        variant = _live_variant(product_id, variant_id)
        row = BackInStockRequest.get_or_none(BackInStockRequest.user == user.id,
                                             BackInStockRequest.variant == variant.id)
        if row is None:
            return BackInStockRequest.create(user=user.id, variant=variant.id), True
        if row.notified_at is None:
            return row, False
        row.notified_at, row.created_at = None, utcnow()
        row.save()
        return row, True


def unsubscribe_back_in_stock(user: User, product_id: str, variant_id: str) -> None:
    """Withdraw the caller's request (idempotent: nothing to withdraw is fine). Raises NotFound
    (`variant_not_found`)."""
    with atomic():
        variant = _live_variant(product_id, variant_id)
        BackInStockRequest.delete().where(BackInStockRequest.user == user.id,
                                          BackInStockRequest.variant == variant.id).execute()


def notify_requesters(variant_id: str, available: int) -> int:
    """Mark the variant's pending requests notified and emit `stock.back_in_stock` (subject: the
    variant id; data `{"productId", "variantId", "available", "userIds"}`, at most EVENT_BATCH
    users per event). Call inside the change's transaction. Returns how many were notified."""
    ids = [(rid, uid) for rid, uid in BackInStockRequest.select(BackInStockRequest.id, BackInStockRequest.user)
           .where(BackInStockRequest.variant == variant_id, BackInStockRequest.notified_at.is_null())
           .order_by(BackInStockRequest.created_at, BackInStockRequest.id).tuples()]
    if not ids:
        return 0
    product_id = Variant.select(Variant.product).where(Variant.id == variant_id).scalar()
    now = utcnow()
    for start in range(0, len(ids), EVENT_BATCH):
        chunk = ids[start:start + EVENT_BATCH]
        BackInStockRequest.update(notified_at=now).where(BackInStockRequest.id.in_([r for r, _ in chunk])).execute()
        events.emit("stock.back_in_stock", variant_id, {"productId": product_id, "variantId": variant_id,
                                                         "available": available,
                                                         "userIds": [u for _, u in chunk]})
    return len(ids)
