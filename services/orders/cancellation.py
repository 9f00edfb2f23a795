"""A customer cancelling their own order (seeds 001 and 002 `PUT /orders/{id}/cancel`) while it is
not yet shipped: pending, confirmed, on hold or being packed (processing). Shopify and Saleor let
staff cancel later too (`PUT /orders/{id}/status`); a customer's window closes at shipping.

Cancelling goes through the order state machine (services.orders.transitions.update_status), so
it does what every cancellation does, in one transaction: stock back to the warehouses it came
from, the promotion code's use given back, a `payment_refund` job that voids or refunds a card
payment, the timeline step (by the customer, with their reason) and the `order.cancelled`
notification."""

from __future__ import annotations

from models.orders import Order
from models.users import User
from services.errors import Conflict
from services.orders import transitions

CUSTOMER_CANCELLABLE = ("pending", "confirmed", "on_hold", "processing")


def cancel_by_customer(order: Order, user: User | None, reason: str | None = None) -> Order:
    """Cancel `order` (already checked visible to `user`: services.orders.get_order) for its
    customer (or, for a guest order, whoever holds its id), with an optional `reason`. Raises
    Conflict (409 `order_cancelled` when it already is, `order_not_cancellable` once shipped)."""
    if order.status == "cancelled":
        raise Conflict("The order is already cancelled", reason="order_cancelled")
    if order.status not in CUSTOMER_CANCELLABLE:
        raise Conflict(f"An order {order.status} can no longer be cancelled", reason="order_not_cancellable")
    return transitions.update_status(order, "cancelled", actor=user, reason=reason or "customer_request")
