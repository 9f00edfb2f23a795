"""A guest cart joins the customer's at sign-in (issue 10; Shopify, Medusa and Saleor do the same).

`merge_guest_cart(user, cart_id)` runs when a guest who filled a cart logs in or registers
with its id (`cartId` on `POST /auth/login` and `/auth/register`):

- the guest cart must be a guest's (no customer), active and unexpired; anything else (an
  unknown id, someone else's cart, a converted one) is ignored and the sign-in goes on;
- a customer without an active cart simply takes the guest cart over (its lines, holds and
  discount code stay);
- otherwise the guest cart's lines are added to the customer's newest active cart, oldest
  first: a line with the same variant, weight and customizations adds to that line, any other
  is a new line (a 200 g piece does not merge into a 500 g one); each quantity is capped by the
  per-line maximum and by the units the customer's cart may buy (stock minus its other lines of
  the variant; for a variant sold by weight the stock is grams and each piece needs the line's
  grams, so the cap is whole pieces), and a line left with nothing is dropped. The guest cart
  ends `merged` (writes to it are refused, 409) and its stock reservations are released.

One transaction with both cart rows locked (the guest's first, then the customer's).
"""

from __future__ import annotations

import config
from models.carts import Cart, CartItem
from models.db import atomic, utcnow
from models.users import User
from services import catalog
from services.orders.cart_live import publish_cart_changed
from services.orders.carts import other_lines_quantity, lock_cart, newest_active_cart


def _capacity(cart: Cart, variant_id: str, line_id: str | None, weight_grams: int = 0) -> int:
    """Units (pieces of `weight_grams` grams for a weight line) of `variant_id` the cart may still
    put on line `line_id` (stock it may buy minus its other lines of the variant, in stock units),
    never above the per-line maximum (MAX_ITEM_QUANTITY)."""
    available = catalog.stock_levels([variant_id], cart_id=cart.id)[variant_id]
    room = available - other_lines_quantity(cart, variant_id, line_id)
    return max(0, min(config.get().max_item_quantity, room // weight_grams if weight_grams else room))


def merge_guest_cart(user: User, cart_id: str | None) -> dict | None:
    """Join guest cart `cart_id` into `user`'s (module docstring). Returns None when there was
    nothing to join, else `{"cartId": the customer's cart, "merged": "claimed" | "lines",
    "capped": [{"variantId", "requested", "quantity"}]}` (units: pieces for weight lines; `capped`
    lists the lines that got fewer units than the guest cart had, 0 when dropped)."""
    if not cart_id:
        return None
    with atomic():
        guest = Cart.get_or_none(Cart.id == cart_id)
        if guest is None or guest.customer_id is not None:
            return None
        guest = lock_cart(cart_id)
        now = utcnow()
        if guest.customer_id is not None or guest.status != "active" or guest.expires_at <= now:
            return None
        mine = newest_active_cart(user.id)
        if mine is None:
            Cart.update(customer=user.id, updated_at=now).where(Cart.id == guest.id).execute()
            publish_cart_changed(guest.id)
            return {"cartId": guest.id, "merged": "claimed", "capped": []}
        mine = lock_cart(mine.id)
        capped = []
        for line in CartItem.select().where(CartItem.cart == guest.id).order_by(CartItem.created_at, CartItem.id):
            same = CartItem.get_or_none(CartItem.cart == mine.id, CartItem.variant == line.variant_id,
                                        CartItem.customization_key == line.customization_key,
                                        CartItem.weight_grams == line.weight_grams)
            held = same.quantity if same else 0
            room = _capacity(mine, line.variant_id, same.id if same else None, line.weight_grams)  # units it may hold
            quantity = max(held, min(held + line.quantity, room))  # never takes units off the customer's line
            if quantity - held < line.quantity:
                capped.append({"variantId": line.variant_id, "requested": line.quantity, "quantity": quantity - held})
            if same and quantity > held:
                CartItem.update(quantity=quantity, updated_at=now).where(CartItem.id == same.id).execute()
            elif not same and quantity > 0:
                CartItem.create(cart=mine.id, product=line.product_id, variant=line.variant_id, quantity=quantity,
                                unit_price=line.unit_price, customizations=line.customizations,
                                customization_key=line.customization_key, weight_grams=line.weight_grams)
        Cart.update(status="merged", updated_at=now).where(Cart.id == guest.id).execute()
        Cart.update(updated_at=now).where(Cart.id == mine.id).execute()
        catalog.release_reservations(guest.id)
        publish_cart_changed(mine.id)
        return {"cartId": mine.id, "merged": "lines", "capped": capped}
