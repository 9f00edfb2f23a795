"""Bulk wishlist operations (seed 001): the `wishlist_bulk` job (`bulk` queue).

A job takes `{"action": "add" | "remove" | "move-to-cart", "productIds": [...],
"options": {"quantity", "cartId"}}` and processes each product in its own
transaction that also records the product's outcome (`WishlistBulkItem`), so a
retried job skips what it did and never moves an item twice. The job result is
seed 001's shape: `{"operationId", "action", "successful": [productId...],
"failed": [{"id", "reason"}], "progress": {"completed", "total", "percentage"}}`.
"""

from __future__ import annotations

import time

import peewee

from models.carts import Cart
from models.db import atomic
from models.jobs import Job
from models.users import User
from models.wishlists import WishlistBulkItem, WishlistItem
from services import orders
from services.customers.wishlist_items import active_product, check_cart, target_cart
from services.errors import DomainError, NotFound, ValidationFailed
from services.platform import JobContext, jobs

BULK_ACTIONS = ("add", "remove", "move-to-cart")
MAX_BULK_ITEMS = 500
PROGRESS_INTERVAL_SECONDS = 0.2  # progress (a committed UPDATE of the job) at most this often, and at the end


def _dedupe(product_ids: list[str]) -> list[str]:
    seen, out = set(), []
    for pid in product_ids:
        if pid not in seen:
            seen.add(pid)
            out.append(pid)
    return out


def start_wishlist_bulk(user: User, action: str, product_ids: list[str], options: dict | None = None) -> Job:
    """Check a bulk request and create its `wishlist_bulk` job (call inside the request's transaction).

    `product_ids` (1..500, duplicates dropped, order kept); `options` may hold
    `quantity` (move-to-cart, default 1) and `cartId` (default: the caller's cart).
    Raises ValidationFailed (bad action, empty or too long list, bad quantity),
    NotFound / Conflict for a `cartId` the caller cannot use.
    """
    options = dict(options or {})
    if action not in BULK_ACTIONS:
        raise ValidationFailed(f"action must be one of {', '.join(BULK_ACTIONS)}", reason="invalid_action",
                               details=[{"field": "action", "message": "Unknown action"}])
    ids = _dedupe(product_ids or [])
    if not ids or len(ids) > MAX_BULK_ITEMS:
        raise ValidationFailed(f"Give 1 to {MAX_BULK_ITEMS} product ids", reason="invalid_product_ids",
                               details=[{"field": "productIds", "message": f"1 to {MAX_BULK_ITEMS} ids"}])
    if action == "move-to-cart":
        orders.check_quantity(int(options.get("quantity") or 1))
        check_cart(user, options.get("cartId"))
    payload = {"action": action, "productIds": ids,
               "options": {k: v for k, v in options.items() if k in ("quantity", "cartId") and v is not None}}
    return jobs.create_job("wishlist_bulk", payload, owner_id=user.id, total=len(ids))


def _bulk_one(job_id: str, position: int, user: User, action: str, product_id: str, cart: Cart | None,
              quantity: int) -> tuple[str, str | None]:
    """Do one product of a bulk job and record its outcome in the same transaction.
    Returns `(status, reason)`."""
    try:
        with atomic():
            if action == "add":
                product = active_product(product_id)
                WishlistItem.insert(user=user.id, product=product.id, price_at_add=product.price).on_conflict_ignore() \
                    .execute()
            elif action == "remove":
                if not WishlistItem.delete().where(WishlistItem.user == user.id,
                                                   WishlistItem.product == product_id).execute():
                    raise NotFound("Not on the wishlist", reason="not_in_wishlist")
            else:
                if not WishlistItem.delete().where(WishlistItem.user == user.id,
                                                   WishlistItem.product == product_id).execute():
                    raise NotFound("Not on the wishlist", reason="not_in_wishlist")
                orders.add_to_cart(cart, product_id, None, quantity)
            WishlistBulkItem.create(job_id=job_id, product_id=product_id, position=position, status="successful")
        return "successful", None
    except DomainError as exc:
        reason = exc.reason
    except peewee.IntegrityError:  # an earlier attempt already recorded this product
        row = WishlistBulkItem.get(WishlistBulkItem.job_id == job_id, WishlistBulkItem.product_id == product_id)
        return row.status, row.reason
    WishlistBulkItem.insert(job_id=job_id, product_id=product_id, position=position, status="failed",
                            reason=reason).on_conflict_ignore().execute()
    return "failed", reason


def wishlist_bulk_result(job_id: str, action: str, total: int) -> dict:
    """The seed-001 outcome of a bulk job from its recorded per-product rows."""
    rows = list(WishlistBulkItem.select().where(WishlistBulkItem.job_id == job_id).order_by(WishlistBulkItem.position))
    successful = [r.product_id for r in rows if r.status == "successful"]
    failed = [{"id": r.product_id, "reason": r.reason} for r in rows if r.status != "successful"]
    completed = len(rows)
    return {"operationId": job_id, "action": action, "successful": successful, "failed": failed,
            "progress": {"completed": completed, "total": total,
                         "percentage": round(100 * completed / total) if total else 100}}


def run_wishlist_bulk_job(job: Job, ctx: JobContext) -> dict:
    """Run a `wishlist_bulk` job (see the module docstring); progress (products done of the total)
    is reported at most every PROGRESS_INTERVAL_SECONDS and after the last product.

    Products already recorded by an earlier attempt are skipped. Raises
    NotFound when the owner no longer exists; per-product problems are outcomes, not errors.
    """
    payload = job.payload or {}
    action, ids = payload.get("action"), list(payload.get("productIds") or [])
    options = payload.get("options") or {}
    user = User.get_or_none(User.id == job.owner_id)
    if user is None or action not in BULK_ACTIONS:
        raise NotFound("The wishlist owner no longer exists", reason="user_not_found")
    done = {pid for (pid,) in WishlistBulkItem.select(WishlistBulkItem.product_id)
            .where(WishlistBulkItem.job_id == job.id).tuples()}
    total = len(ids)
    ctx.progress(len(done), total, f"{action}: {len(done)} of {total} done")
    cart = None
    if action == "move-to-cart" and len(done) < total:
        try:
            with atomic():
                cart = target_cart(user, options.get("cartId"))
        except DomainError as exc:  # the chosen cart went away since the request: every item fails alike
            for position, pid in enumerate(ids):
                if pid not in done:
                    WishlistBulkItem.insert(job_id=job.id, product_id=pid, position=position, status="failed",
                                            reason=exc.reason).on_conflict_ignore().execute()
            return wishlist_bulk_result(job.id, action, total)
    quantity = int(options.get("quantity") or 1)
    completed = len(done)
    reported = time.monotonic()
    for position, pid in enumerate(ids):
        if pid in done:
            continue
        status, reason = _bulk_one(job.id, position, user, action, pid, cart, quantity)
        completed += 1
        if completed == total or time.monotonic() - reported >= PROGRESS_INTERVAL_SECONDS:
            ctx.progress(completed, total, f"{pid}: {status}" + (f" ({reason})" if reason else ""))
            reported = time.monotonic()
    return wishlist_bulk_result(job.id, action, total)
