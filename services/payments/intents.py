"""The order's PaymentIntent: created once per order (fixed idempotency key
`order:{id}:payment_intent`) and stored on its Payment row."""

from __future__ import annotations

from models.db import utcnow
from models.orders import Order, Payment
from services.payments import gateway


def plain(obj) -> dict:
    """A StripeObject (or None) as a plain dict."""
    if obj is None:
        return {}
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def ensure_payment_intent(order: Order) -> Payment:
    """The order's Payment with a PaymentIntent (created on first call) for what the card pays: the
    total less the part paid from the wallet (`Order.wallet_amount`). Raises PaymentFailed / TransientError."""
    payment = Payment.get(Payment.order == order.id)
    if payment.provider_ref:
        return payment
    intent = gateway.create_payment_intent(
        order.id, order.total - order.wallet_amount, order.currency,
        {"orderId": order.id, "orderNumber": order.order_number, "customerEmail": order.customer_email})
    Payment.update(provider_ref=intent.id, client_secret=intent.client_secret, status=intent.status,
                   updated_at=utcnow()).where(Payment.id == payment.id, Payment.provider_ref.is_null()).execute()
    return Payment.get_by_id(payment.id)
