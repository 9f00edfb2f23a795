"""Cart upkeep, run by the periodic `maintenance` jobs (`services.maintenance`):

- `expire_carts`: active carts past `expires_at` -> `expired` (converted and already
  expired carts are never touched), in batches of `BATCH`.
- `abandoned_cart_reminders`: a customer's active, non-empty, unexpired cart untouched
  for `ABANDONED_CART_HOURS` -> one `cart.abandoned` event, once per cart (a marker,
  see `services.platform.periodic`).

Each is `task(job, ctx, now) -> dict` and safe to run twice or from two workers at
once: state changes are conditional UPDATEs and reminders are guarded by markers.
"""

from __future__ import annotations

import datetime as dt

from peewee import fn

import config
from models.carts import Cart, CartItem
from models.db import atomic, isoformat
from models.jobs import Job
from services.platform import events, periodic

BATCH = 500  # carts per transaction / progress step


def expire_carts(job: Job, ctx, now: dt.datetime) -> dict:
    """Active carts whose `expires_at` passed -> `expired`, in batches. Result: `{"expired": n}`."""
    due = Cart.select(Cart.id).where(Cart.status == "active", Cart.expires_at <= now)
    total = due.count()
    ctx.progress(0, total, f"{total} cart(s) past their expiry")
    expired = 0
    while True:
        batch = [cid for (cid,) in due.order_by(Cart.expires_at, Cart.id).limit(BATCH).tuples()]
        if not batch:
            break
        with atomic():
            n = Cart.update(status="expired", updated_at=now).where(
                Cart.id.in_(batch), Cart.status == "active", Cart.expires_at <= now).execute()
        expired += n
        ctx.progress(expired, max(total, expired), f"{expired} cart(s) expired")
        if len(batch) < BATCH:
            break
    return {"expired": expired}


def _abandoned(cutoff: dt.datetime, now: dt.datetime):
    """Customers' active, unexpired, non-empty carts last touched at or before `cutoff`."""
    return Cart.select(Cart.id, Cart.customer, Cart.updated_at, Cart.expires_at).where(
        Cart.status == "active", Cart.source == "storefront", Cart.customer.is_null(False),
        Cart.updated_at <= cutoff, Cart.expires_at > now,
        fn.EXISTS(CartItem.select(CartItem.id).where(CartItem.cart == Cart.id)))


def abandoned_cart_reminders(job: Job, ctx, now: dt.datetime) -> dict:
    """Emit `cart.abandoned` (subject: cart id; data: customerId, itemCount (units), lastActivityAt)
    once per abandoned cart (marker `cart.abandoned:{cart id}`, kept until a day after the
    cart expires). Result: `{"candidates", "reminded", "alreadyReminded"}`."""
    cutoff = now - dt.timedelta(hours=config.get().abandoned_cart_hours)
    carts = list(_abandoned(cutoff, now).order_by(Cart.updated_at, Cart.id))
    ctx.progress(0, len(carts), f"{len(carts)} abandoned cart(s)")

    def remind(cart):
        fresh = _abandoned(cutoff, now).where(Cart.id == cart.id).first()  # still abandoned?
        if fresh is None:
            raise periodic.Skip()
        units = CartItem.select(fn.SUM(CartItem.quantity)).where(CartItem.cart == cart.id).scalar() or 0
        return events.emit("cart.abandoned", cart.id, {
            "customerId": fresh.customer_id, "itemCount": units, "lastActivityAt": isoformat(fresh.updated_at)},
            parent_id=job.id)

    reminded, already = periodic.once_each(ctx, carts, lambda c: f"cart.abandoned:{c.id}",
                                         lambda c: c.expires_at + dt.timedelta(days=1), remind, "reminder")
    return {"candidates": len(carts), "reminded": reminded, "alreadyReminded": already}
