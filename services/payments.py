"""Payment flows: the order's PaymentIntent, the payment job, and Stripe events.

- `ensure_payment_intent(order)` creates the PaymentIntent once (stored on the
  Payment row; the fixed idempotency key covers a crash before it is stored).
- `start_payment(...)` validates a "Process Payment" request and writes a `payment` job.
- `record_stripe_event(...)` stores a verified webhook event once (its id is the
  primary key) together with a `stripe_event` job.
- Both jobs end in `sync_payment_intent`, which re-reads the PaymentIntent from
  Stripe, checks amount and currency against the order, and moves the order
  forward only (see services.orders).
"""

from __future__ import annotations

import peewee

from models.db import atomic, utcnow
from models.jobs import Job
from models.orders import Order, Payment, StripeEvent
from models.users import User
from services import jobs, orders, stripe_gateway
from services.errors import Conflict, NotFound, PaymentFailed, ValidationFailed

PAYMENT_INTENT_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled",
                         "payment_intent.processing")
HANDLED_EVENTS = PAYMENT_INTENT_EVENTS + ("charge.dispute.created", "charge.refunded")


def _plain(obj) -> dict:
    """A StripeObject (or None) as a plain dict."""
    if obj is None:
        return {}
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def ensure_payment_intent(order: Order) -> Payment:
    """The order's Payment with a PaymentIntent (created on first call). Raises PaymentFailed / TransientError."""
    payment = Payment.get(Payment.order == order.id)
    if payment.provider_ref:
        return payment
    intent = stripe_gateway.create_payment_intent(
        order.id, order.total, order.currency,
        {"orderId": order.id, "orderNumber": order.order_number, "customerEmail": order.customer_email})
    Payment.update(provider_ref=intent.id, client_secret=intent.client_secret, status=intent.status,
                   updated_at=utcnow()).where(Payment.id == payment.id, Payment.provider_ref.is_null()).execute()
    return Payment.get_by_id(payment.id)


def start_payment(order: Order, user: User | None, method: str, payment_method_id: str | None) -> Job:
    """Validate a Process Payment request and write its `payment` job (call in a transaction).

    Raises Conflict (409 `order_already_paid` / `order_cancelled`) and
    ValidationFailed (400 `payment_method_mismatch`, `payment_method_id_required`).
    """
    if order.payment_status == "paid":
        raise Conflict("Order already paid", reason="order_already_paid")
    if order.status == "cancelled":
        raise Conflict("Order is cancelled", reason="order_cancelled")
    if method != order.payment_method:
        raise ValidationFailed(f"This order is paid by {order.payment_method}", reason="payment_method_mismatch",
                               status=400, details=[{"field": "paymentMethod",
                                                     "message": f"Must be {order.payment_method}"}])
    if method == "stripe" and not payment_method_id:
        raise ValidationFailed("paymentMethodId is required for Stripe", reason="payment_method_id_required",
                               status=400, details=[{"field": "paymentMethodId", "message": "Required"}])
    return jobs.create_job("payment", {"orderId": order.id, "paymentMethod": method,
                                       "paymentMethodId": payment_method_id},
                           owner_id=user.id if user else order.customer_id, total=2)


def sync_payment_intent(intent, failure_hint: bool = False) -> str:
    """Apply Stripe's current view of a PaymentIntent to its order; returns the outcome.

    Outcomes: "paid", "failed", "processing", "unchanged". Raises NotFound for
    an intent we did not create and PaymentFailed (`amount_mismatch`) when the
    amount or currency differs from the order's.
    """
    payment = Payment.get_or_none(Payment.provider_ref == intent.id)
    metadata = _plain(getattr(intent, "metadata", None))
    order_id = payment.order_id if payment else metadata.get("orderId")
    order = Order.get_or_none(Order.id == order_id) if order_id else None
    if order is None:
        raise NotFound(f"No order for PaymentIntent {intent.id}", reason="unknown_payment_intent")
    if intent.amount != order.total or str(intent.currency).upper() != order.currency:
        raise PaymentFailed(f"PaymentIntent {intent.id} is {intent.amount} {intent.currency}, order is "
                            f"{order.total} {order.currency}", reason="amount_mismatch")
    if intent.status == "succeeded":
        return "paid" if orders.mark_paid(order.id) else "unchanged"
    if intent.status == "processing":
        return "processing" if orders.mark_payment_processing(order.id) else "unchanged"
    if intent.status == "canceled" or (failure_hint and intent.status == "requires_payment_method"):
        message = _plain(getattr(intent, "last_payment_error", None)).get("message")
        return "failed" if orders.mark_payment_failed(order.id, message or intent.status) else "unchanged"
    return "unchanged"


def run_payment_job(job: Job, ctx) -> dict:
    """`payment` job: COD confirms the order; Stripe attaches the PaymentMethod and confirms
    the PaymentIntent, then syncs the order. Result: `{"orderId", "paymentStatus", "status",
    "paymentIntent": {"id", "clientSecret", "status"}}`."""
    order = Order.get_by_id(job.payload["orderId"])
    result = {"orderId": order.id}
    if job.payload["paymentMethod"] == "cash_on_delivery":
        with atomic():
            Order.update(status="confirmed", updated_at=utcnow()).where(Order.id == order.id,
                                                                        Order.status == "pending").execute()
    else:
        payment = ensure_payment_intent(order)
        ctx.progress(1, 2, "confirming the PaymentIntent")
        try:
            intent = stripe_gateway.confirm_payment_intent(order.id, payment.provider_ref,
                                                           job.payload["paymentMethodId"])
        except PaymentFailed as exc:
            intent = stripe_gateway.retrieve_payment_intent(payment.provider_ref)
            sync_payment_intent(intent, failure_hint=True)
            exc.result = {"orderId": order.id, "paymentIntent": {"id": intent.id, "status": intent.status}}
            raise
        outcome = sync_payment_intent(intent)
        result["paymentIntent"] = {"id": intent.id, "clientSecret": payment.client_secret, "status": intent.status}
        result["outcome"] = outcome
    order = Order.get_by_id(order.id)
    result.update(status=order.status, paymentStatus=order.payment_status)
    return result


def record_stripe_event(event: dict) -> Job | None:
    """Store a verified event and its `stripe_event` job in one transaction.

    Returns the job, or None for a duplicate delivery or an event type Cartwheel ignores.
    """
    if event.get("type") not in HANDLED_EVENTS:
        return None
    try:
        with atomic():
            job = jobs.create_job("stripe_event", {"eventId": event["id"], "type": event["type"]})
            StripeEvent.create(id=event["id"], type=event["type"], payload=event, job_id=job.id)
        return job
    except peewee.IntegrityError:
        return None


def run_stripe_event_job(job: Job, ctx) -> dict:
    """`stripe_event` job: re-read the PaymentIntent and sync the order (payment events);
    disputes (`charge.dispute.created`) and refunds (`charge.refunded`) become fraud labels
    (services.fraud.record_stripe_label; a refund of our own fraud block is not a label)."""
    event = StripeEvent.get_by_id(job.payload["eventId"])
    obj = event.payload.get("data", {}).get("object", {})
    if event.type in PAYMENT_INTENT_EVENTS:
        intent = stripe_gateway.retrieve_payment_intent(obj["id"])
        outcome = sync_payment_intent(intent, failure_hint=event.type == "payment_intent.payment_failed")
        return {"eventId": event.id, "type": event.type, "paymentIntentId": intent.id, "outcome": outcome}
    from services import fraud

    label = fraud.record_stripe_label(event.type, obj, event.id)
    return {"eventId": event.id, "type": event.type, "outcome": "recorded", "fraudLabel": label}
