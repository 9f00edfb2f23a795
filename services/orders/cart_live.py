"""A customer's cart changes on the live-update channel `customer:{user id}:cart` (seed 001
"cross-device cart sync", `GET /realtime/cart-sync`): every write to a customer's cart (add,
update, remove, clear, a guest cart joining it, a new cart) publishes the cart's `cart-update`
state after commit, so the customer's other devices know to re-read it. Guest carts have no
channel (only their id reaches them).
"""

from __future__ import annotations

from peewee import fn

from models.carts import Cart, CartItem
from models.db import isoformat, utcnow
from services.platform import live

RECENT_CARTS = 5  # carts in the first events of a cart-sync stream


def customer_cart_channel(user_id: str) -> str:
    """`cartwheel:customer:{user_id}:cart`: changes of any cart of this customer."""
    return live.channel(f"customer:{user_id}:cart")


def cart_state_view(cart: Cart) -> dict:
    """The `cart-update` payload: `{"cartId", "status", "itemCount" (units), "updatedAt"}`."""
    units = CartItem.select(fn.COALESCE(fn.SUM(CartItem.quantity), 0)).where(CartItem.cart == cart.id).scalar()
    return {"cartId": cart.id, "status": cart.status, "itemCount": int(units or 0),
            "updatedAt": isoformat(cart.updated_at)}


def publish_cart_changed(cart: Cart | str) -> None:
    """After commit, announce the cart's state on its customer's channel (a guest cart: nothing).
    Given an id, reads the cart inside the caller's transaction; given the Cart, trusts its
    customer, status and `updated_at` as they will commit."""
    if isinstance(cart, str):
        cart = Cart.get_or_none(Cart.id == cart)
    if cart is not None and cart.customer_id:
        live.publish_after_commit(customer_cart_channel(cart.customer_id), dict(cart_state_view(cart), type="cart"))


def customer_cart_states(user_id: str, cart_ids=None) -> dict[str, dict]:
    """`{cart id: cart_state_view}`: the customer's `RECENT_CARTS` newest unexpired active carts
    (oldest first), or the named ones of theirs whatever their status."""
    query = Cart.select().where(Cart.customer == user_id)
    if cart_ids is None:
        rows = list(query.where(Cart.status == "active", Cart.expires_at > utcnow())
                    .order_by(Cart.updated_at.desc(), Cart.id.desc()).limit(RECENT_CARTS))
        rows.reverse()
    else:
        rows = list(query.where(Cart.id.in_(list(cart_ids))).order_by(Cart.updated_at, Cart.id))
    return {row.id: cart_state_view(row) for row in rows}
