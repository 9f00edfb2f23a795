"""Wishlists (seed 001): add, remove, list with product data, atomic move to cart,
bulk jobs with per-item outcomes, and revocable share links.

A wishlist belongs to one customer: every function takes the caller and an
item that is not theirs answers NotFound (404), as if it did not exist.
Moving to the cart goes through `services.carts.add_item` (stock check,
quantity limit, price) inside one transaction that also deletes the wishlist
item, so either both happen or neither.

Bulk operations (`wishlist_bulk` job, `bulk` queue) take
`{"action": "add" | "remove" | "move-to-cart", "productIds": [...], "options":
{"quantity", "cartId"}}` and process each product in its own transaction that
also records the product's outcome (`WishlistBulkItem`), so a retried job
skips what it did and never moves an item twice. The job result is seed 001's
shape: `{"operationId", "action", "successful": [productId...], "failed":
[{"id", "reason"}], "progress": {"completed", "total", "percentage"}}`.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import peewee

from models.carts import Cart
from models.catalog import Product
from models.db import atomic, isoformat, utcnow
from models.jobs import Job
from models.users import User
from models.wishlists import WishlistBulkItem, WishlistItem, WishlistShare
from services import carts, catalog, jobs
from services.catalog import ProductView
from services.errors import DomainError, NotFound, ValidationFailed
from services.jobcontext import JobContext

BULK_ACTIONS = ("add", "remove", "move-to-cart")
MAX_BULK_ITEMS = 500
SHARE_TOKEN_BYTES = 24  # 192 random bits, URL-safe base64
PROGRESS_INTERVAL_SECONDS = 0.2  # progress (a committed UPDATE of the job) at most this often, and at the end


@dataclass
class WishlistEntry:
    """A wishlist item with its product view (variants, images, stock)."""

    item: WishlistItem
    view: ProductView


def _load_entries(rows: list[WishlistItem]) -> list[WishlistEntry]:
    products = {p.id: p for p in catalog.with_category(Product.select()).where(
        Product.id.in_([r.product_id for r in rows]))} if rows else {}
    views = {v.product.id: v for v in catalog.load_views(list(products.values()))}
    return [WishlistEntry(row, views[row.product_id]) for row in rows if row.product_id in views]


def entry_view(entry: WishlistEntry) -> dict:
    """`{"id", "productId", "addedAt", "priceAtAdd", "priceDropped", "inStock"}` plus `product` (filled by the web layer)."""
    product = entry.view.product
    return {"id": entry.item.id, "productId": product.id, "addedAt": isoformat(entry.item.created_at),
            "priceAtAdd": entry.item.price_at_add,
            "priceDropped": entry.item.price_at_add is not None and product.price < entry.item.price_at_add,
            "inStock": any(q > 0 for q in entry.view.stock.values())}


def list_items(user: User, page: int = 1, limit: int = 20) -> tuple[list[WishlistEntry], int]:
    """A page of the caller's wishlist, newest first, with product data; returns (entries, total).

    Items whose product was archived stay listed (with status archived) so the customer sees what went away."""
    query = WishlistItem.select().where(WishlistItem.user == user.id)
    total = query.count()
    rows = list(query.order_by(WishlistItem.created_at.desc(), WishlistItem.id).paginate(page, limit))
    return _load_entries(rows), total


def _active_product(product_id: str) -> Product:
    product = Product.get_or_none(Product.id == product_id, Product.status == "active")
    if product is None:
        raise NotFound("Product not found", reason="product_not_found",
                       details=[{"field": "productId", "message": "No such active product"}])
    return product


def add_item(user: User, product_id: str) -> tuple[WishlistItem, bool]:
    """Add an active product to the caller's wishlist. Returns `(item, created)`; adding a
    product already there returns the existing item (`created` False). Raises NotFound (product)."""
    product = _active_product(product_id)
    existing = WishlistItem.get_or_none(WishlistItem.user == user.id, WishlistItem.product == product.id)
    if existing:
        return existing, False
    try:
        with atomic():
            return WishlistItem.create(user=user.id, product=product.id, price_at_add=product.price), True
    except peewee.IntegrityError:  # added concurrently
        return WishlistItem.get(WishlistItem.user == user.id, WishlistItem.product == product.id), False


def get_entry(user: User, item_id: str) -> WishlistEntry:
    """One of the caller's items with product data. Raises NotFound."""
    return _load_entries([_own_item(user, item_id)])[0]


def _own_item(user: User, item_id: str) -> WishlistItem:
    item = WishlistItem.get_or_none(WishlistItem.id == item_id, WishlistItem.user == user.id)
    if item is None:
        raise NotFound("Wishlist item not found", reason="wishlist_item_not_found")
    return item


def remove_item(user: User, item_id: str) -> None:
    """Remove one of the caller's items (by item id). Raises NotFound (also for another user's item)."""
    item = _own_item(user, item_id)
    with atomic():
        WishlistItem.delete().where(WishlistItem.id == item.id).execute()


def _target_cart(user: User, cart_id: str | None) -> Cart:
    """The cart to move items into: `cart_id` (must be the caller's and active), else the caller's
    newest active unexpired cart, else a new one (created in the caller's transaction).
    Raises NotFound (someone else's cart), Conflict (cart not active or expired)."""
    if cart_id:
        cart = carts.get_cart(cart_id, user)
        if cart.customer_id != user.id:
            raise NotFound("Cart not found", reason="cart_not_found")
        carts.ensure_writable(cart)
        return cart
    cart = (Cart.select().where(Cart.customer == user.id, Cart.status == "active", Cart.expires_at > utcnow())
            .order_by(Cart.updated_at.desc(), Cart.id).first())
    return cart or carts.create_cart(user)


def check_cart(user: User, cart_id: str | None) -> None:
    """Raise as `_target_cart` would for an explicit `cart_id` (used before starting a bulk move)."""
    if cart_id:
        _target_cart(user, cart_id)


def move_to_cart(user: User, item_id: str, cart_id: str | None = None, variant_id: str | None = None,
                 quantity: int = 1) -> Cart:
    """Atomically remove the caller's wishlist item and add `quantity` of the product to a cart.

    One transaction: the wishlist row is deleted and `carts.add_item` runs
    (stock check, quantity limit); if adding fails nothing changes. The cart
    is `cart_id` or the caller's current cart (created when there is none).
    Returns the cart. Raises NotFound (item or cart), InsufficientStock (409),
    ValidationFailed (product no longer sold, bad variant or quantity), Conflict (cart not active).
    """
    item = _own_item(user, item_id)
    with atomic():
        cart = _target_cart(user, cart_id)
        if not WishlistItem.delete().where(WishlistItem.id == item.id).execute():
            raise NotFound("Wishlist item not found", reason="wishlist_item_not_found")
        carts.add_item(cart, item.product_id, variant_id, quantity)
    return Cart.get_by_id(cart.id)


def users_wishlisting(product_id: str) -> list[str]:
    """Ids of the users who have `product_id` on their wishlist (for price-drop / back-in-stock notices)."""
    return [uid for (uid,) in WishlistItem.select(WishlistItem.user).where(WishlistItem.product == product_id)
            .order_by(WishlistItem.user).tuples()]


def is_wishlisted(product_id: str) -> bool:
    """True when at least one customer has the product on their wishlist."""
    return WishlistItem.select().where(WishlistItem.product == product_id).exists()


# --------------------------------------------------------------------------- bulk


def _dedupe(product_ids: list[str]) -> list[str]:
    seen, out = set(), []
    for pid in product_ids:
        if pid not in seen:
            seen.add(pid)
            out.append(pid)
    return out


def start_bulk(user: User, action: str, product_ids: list[str], options: dict | None = None) -> Job:
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
        carts.check_quantity(int(options.get("quantity") or 1))
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
                product = _active_product(product_id)
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
                carts.add_item(cart, product_id, None, quantity)
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


def bulk_result(job_id: str, action: str, total: int) -> dict:
    """The seed-001 outcome of a bulk job from its recorded per-product rows."""
    rows = list(WishlistBulkItem.select().where(WishlistBulkItem.job_id == job_id).order_by(WishlistBulkItem.position))
    successful = [r.product_id for r in rows if r.status == "successful"]
    failed = [{"id": r.product_id, "reason": r.reason} for r in rows if r.status != "successful"]
    completed = len(rows)
    return {"operationId": job_id, "action": action, "successful": successful, "failed": failed,
            "progress": {"completed": completed, "total": total,
                         "percentage": round(100 * completed / total) if total else 100}}


def run_bulk_job(job: Job, ctx: JobContext) -> dict:
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
                cart = _target_cart(user, options.get("cartId"))
        except DomainError as exc:  # the chosen cart went away since the request: every item fails alike
            for position, pid in enumerate(ids):
                if pid not in done:
                    WishlistBulkItem.insert(job_id=job.id, product_id=pid, position=position, status="failed",
                                            reason=exc.reason).on_conflict_ignore().execute()
            return bulk_result(job.id, action, total)
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
    return bulk_result(job.id, action, total)


# --------------------------------------------------------------------------- share links


def share_view(share: WishlistShare) -> dict:
    """`{"token", "url", "createdAt"}` of an active link."""
    return {"token": share.token, "url": f"/api/v1/wishlist/shared/{share.token}",
            "createdAt": isoformat(share.created_at)}


def _active_share(user: User) -> WishlistShare | None:
    return (WishlistShare.select().where(WishlistShare.user == user.id, WishlistShare.revoked_at.is_null())
            .order_by(WishlistShare.created_at.desc()).first())


def create_share(user: User) -> tuple[WishlistShare, bool]:
    """The caller's active share link, created when there is none. Returns `(share, created)`."""
    with atomic():
        existing = _active_share(user)
        if existing:
            return existing, False
        return WishlistShare.create(user=user.id, token=secrets.token_urlsafe(SHARE_TOKEN_BYTES)), True


def get_share(user: User) -> WishlistShare:
    """The caller's active share link. Raises NotFound when there is none."""
    share = _active_share(user)
    if share is None:
        raise NotFound("No active share link", reason="share_link_not_found")
    return share


def revoke_share(user: User) -> int:
    """Revoke the caller's active link(s): the token stops working at once. Returns how many were revoked.
    Raises NotFound when there was none."""
    with atomic():
        n = WishlistShare.update(revoked_at=utcnow()).where(WishlistShare.user == user.id,
                                                            WishlistShare.revoked_at.is_null()).execute()
    if not n:
        raise NotFound("No active share link", reason="share_link_not_found")
    return n


def shared_wishlist(token: str, page: int = 1, limit: int = 20) -> tuple[User, list[WishlistEntry], int]:
    """The wishlist behind an active share token: `(owner, entries of active products, total)`.

    Raises NotFound for an unknown or revoked token."""
    share = WishlistShare.get_or_none(WishlistShare.token == token, WishlistShare.revoked_at.is_null())
    if share is None:
        raise NotFound("Shared wishlist not found", reason="shared_wishlist_not_found")
    owner = User.get_by_id(share.user_id)
    query = (WishlistItem.select().join(Product, on=(WishlistItem.product == Product.id))
             .where(WishlistItem.user == owner.id, Product.status == "active"))
    total = query.count()
    rows = list(query.order_by(WishlistItem.created_at.desc(), WishlistItem.id).paginate(page, limit))
    return owner, _load_entries(rows), total
