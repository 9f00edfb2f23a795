"""One-click checkout (seed 000): a signed-in customer buys a product, or their cart, in one
call with the card and address of their one-click settings (services.payments.one_click).

It is a normal checkout (`checkout.start_checkout`, the `checkout` job) with Stripe as the payment
method and the saved card charged by the job right after the order is placed. A product bought
in one click gets its own cart (`source` one_click), so the customer's cart is left as it was; a
declined card cancels the order and gives the stock back, as any failed card payment does.
"""

from __future__ import annotations

from models.jobs import Job
from models.users import User
from services.errors import ValidationFailed
from services.orders import carts, checkout


def start_one_click(user: User, payment_method_id: str, shipping_address: dict, request: dict) -> Job:
    """Write the checkout job of a one-click purchase (call in a transaction).

    `payment_method_id`: the customer's saved method (`spm_...`) from their verified one-click
    settings; `shipping_address`: their saved address in the order address shape (billing: the
    same). `request` keys: `cart_id` or `product_id` (+ optional `variant_id`, `quantity`, default
    1, and `weight` in grams per piece for a product sold by weight), `shipping_method`, optional
    `notes`, `client_ip`. Raises ValidationFailed (400
    `one_click_item_required`: neither or both of cartId and productId) and whatever adding to a
    cart (services.orders.carts.add_to_cart) and checkout (`checkout.start_checkout`) raise.
    """
    if bool(request.get("cart_id")) == bool(request.get("product_id")):
        raise ValidationFailed("Give either cartId or productId", reason="one_click_item_required", status=400,
                               details=[{"field": "productId", "message": "Exactly one of cartId and productId"}])
    cart_id = request.get("cart_id")
    if cart_id is None:
        cart = carts.create_cart(user, source="one_click")
        carts.add_to_cart(cart, request["product_id"], request.get("variant_id"), request.get("quantity") or 1,
                          weight=request.get("weight"))
        cart_id = cart.id
    return checkout.start_checkout(user, {
        "cart_id": cart_id, "shipping_address": shipping_address, "billing_address": "same",
        "shipping_method": request["shipping_method"], "payment_method": "stripe", "notes": request.get("notes"),
        "client_ip": request.get("client_ip"), "saved_method_id": payment_method_id})
