"""Wishlists (seed 001): add, remove, list with product data, and the atomic move to a cart.

A wishlist belongs to one customer: every function takes the caller and an
item that is not theirs answers NotFound (404), as if it did not exist.
Moving to the cart goes through `services.orders.add_item` (stock check,
quantity limit, price) inside one transaction that also deletes the wishlist
item, so either both happen or neither.
"""

from __future__ import annotations

from dataclasses import dataclass

import peewee

from models.carts import Cart
from models.catalog import Product
from models.db import atomic, isoformat, utcnow
from models.users import User
from models.wishlists import WishlistItem
from services import catalog, orders
from services.catalog import ProductView
from services.errors import NotFound


@dataclass
class WishlistEntry:
    """A wishlist item with its product view (variants, images, stock)."""

    item: WishlistItem
    view: ProductView


def load_entries(rows: list[WishlistItem]) -> list[WishlistEntry]:
    products = {p.id: p for p in catalog.with_category(Product.select()).where(
        Product.id.in_([r.product_id for r in rows]))} if rows else {}
    views = {v.product.id: v for v in catalog.load_views(list(products.values()))}
    return [WishlistEntry(row, views[row.product_id]) for row in rows if row.product_id in views]


def wishlist_entry_view(entry: WishlistEntry) -> dict:
    """`{"id", "productId", "addedAt", "priceAtAdd", "priceDropped", "inStock"}` plus `product`
    (filled by the web layer)."""
    product = entry.view.product
    return {"id": entry.item.id, "productId": product.id, "addedAt": isoformat(entry.item.created_at),
            "priceAtAdd": entry.item.price_at_add,
            "priceDropped": entry.item.price_at_add is not None and product.price < entry.item.price_at_add,
            "inStock": any(q > 0 for q in entry.view.stock.values())}


def list_wishlist(user: User, page: int = 1, limit: int = 20) -> tuple[list[WishlistEntry], int]:
    """A page of the caller's wishlist, newest first, with product data; returns (entries, total).

    Items whose product was archived stay listed (with status archived) so the customer sees what went away."""
    query = WishlistItem.select().where(WishlistItem.user == user.id)
    total = query.count()
    rows = list(query.order_by(WishlistItem.created_at.desc(), WishlistItem.id).paginate(page, limit))
    return load_entries(rows), total


def active_product(product_id: str) -> Product:
    product = Product.get_or_none(Product.id == product_id, Product.status == "active")
    if product is None:
        raise NotFound("Product not found", reason="product_not_found",
                       details=[{"field": "productId", "message": "No such active product"}])
    return product


def add_to_wishlist(user: User, product_id: str) -> tuple[WishlistItem, bool]:
    """Add an active product to the caller's wishlist. Returns `(item, created)`; adding a
    product already there returns the existing item (`created` False). Raises NotFound (product)."""
    product = active_product(product_id)
    existing = WishlistItem.get_or_none(WishlistItem.user == user.id, WishlistItem.product == product.id)
    if existing:
        return existing, False
    try:
        with atomic():
            return WishlistItem.create(user=user.id, product=product.id, price_at_add=product.price), True
    except peewee.IntegrityError:  # added concurrently
        return WishlistItem.get(WishlistItem.user == user.id, WishlistItem.product == product.id), False


def get_wishlist_entry(user: User, item_id: str) -> WishlistEntry:
    """One of the caller's items with product data. Raises NotFound."""
    return load_entries([own_item(user, item_id)])[0]


def own_item(user: User, item_id: str) -> WishlistItem:
    item = WishlistItem.get_or_none(WishlistItem.id == item_id, WishlistItem.user == user.id)
    if item is None:
        raise NotFound("Wishlist item not found", reason="wishlist_item_not_found")
    return item


def remove_from_wishlist(user: User, item_id: str) -> None:
    """Remove one of the caller's items (by item id). Raises NotFound (also for another user's item)."""
    item = own_item(user, item_id)
    with atomic():
        WishlistItem.delete().where(WishlistItem.id == item.id).execute()


def target_cart(user: User, cart_id: str | None) -> Cart:
    """The cart to move items into: `cart_id` (must be the caller's and active), else the caller's
    newest active unexpired cart, else a new one (created in the caller's transaction).
    Raises NotFound (someone else's cart), Conflict (cart not active or expired)."""
    if cart_id:
        cart = orders.get_cart(cart_id, user)
        if cart.customer_id != user.id:
            raise NotFound("Cart not found", reason="cart_not_found")
        orders.ensure_writable(cart)
        return cart
    cart = (Cart.select().where(Cart.customer == user.id, Cart.status == "active", Cart.source == "storefront",
                                Cart.expires_at > utcnow())
            .order_by(Cart.updated_at.desc(), Cart.id).first())
    return cart or orders.create_cart(user)


def check_cart(user: User, cart_id: str | None) -> None:
    """Raise as `_target_cart` would for an explicit `cart_id` (used before starting a bulk move)."""
    if cart_id:
        target_cart(user, cart_id)


def move_to_cart(user: User, item_id: str, cart_id: str | None = None, variant_id: str | None = None,
                 quantity: int = 1) -> Cart:
    """Atomically remove the caller's wishlist item and add `quantity` of the product to a cart.

    One transaction: the wishlist row is deleted and `orders.add_item` runs
    (stock check, quantity limit); if adding fails nothing changes. The cart
    is `cart_id` or the caller's current cart (created when there is none).
    Returns the cart. Raises NotFound (item or cart), InsufficientStock (409),
    ValidationFailed (product no longer sold, bad variant or quantity), Conflict (cart not active).
    """
    item = own_item(user, item_id)
    with atomic():
        cart = target_cart(user, cart_id)
        if not WishlistItem.delete().where(WishlistItem.id == item.id).execute():
            raise NotFound("Wishlist item not found", reason="wishlist_item_not_found")
        orders.add_to_cart(cart, item.product_id, variant_id, quantity)
    return Cart.get_by_id(cart.id)


def users_wishlisting(product_id: str) -> list[str]:
    """Ids of the users who have `product_id` on their wishlist (for price-drop / back-in-stock notices)."""
    return [uid for (uid,) in WishlistItem.select(WishlistItem.user).where(WishlistItem.product == product_id)
            .order_by(WishlistItem.user).tuples()]


def is_wishlisted(product_id: str) -> bool:
    """True when at least one customer has the product on their wishlist."""
    return WishlistItem.select().where(WishlistItem.product == product_id).exists()
