"""Paying for an order: the "Process Payment" job and Stripe's view of a PaymentIntent
applied to its order.

- `start_payment(...)` validates a "Process Payment" request and writes a `payment` job;
  `start_intent` a `payment_intent` job (seed 001 create-intent).
- `run_payment_job`: cash on delivery confirms the order; Stripe attaches the
  PaymentMethod and confirms the PaymentIntent.
- `sync_payment_intent(intent)`: re-read from Stripe (by the payment job, and by the
  `stripe_event` job for `payment_intent.*` webhooks, registered below), checked
  against the order's amount and currency, moves the order forward only (see
  `transitions`). A success for an order that is already cancelled is refunded
  (a `payment_refund` job, see `refunds`), never applied.
"""

from __future__ import annotations

from models.jobs import Job
from models.orders import Order, Payment
from models.users import User
from services import payments
from services.errors import Conflict, NotFound, PaymentFailed, ValidationFailed
from services.orders import refunds, wallet_payments
from services.orders import transitions as orders
from services.platform import jobs


def _check_payable(order: Order) -> None:
    """Raise Conflict (409 `order_already_paid` / `order_cancelled`) for an order nobody may pay (a
    wallet order is paid from the wallet when placed, also once partly refunded)."""
    if order.payment_status == "paid" or order.payment_method == "wallet":
        raise Conflict("Order already paid", reason="order_already_paid")
    if order.status == "cancelled":
        raise Conflict("Order is cancelled", reason="order_cancelled")


def start_payment(order: Order, user: User | None, method: str, payment_method_id: str | None,
                  saved_method_id: str | None = None, save_method: bool = False) -> Job:
    """Validate a Process Payment request and write its `payment` job (call in a transaction).

    Stripe takes either a PaymentMethod id (`pm_...`; `save_method` also saves it to the signed-in
    customer's cards, seed 004 `savePaymentMethod`) or one of the customer's saved methods
    (`saved_method_id`, `spm_...`). Raises Conflict (409 `order_already_paid` / `order_cancelled`),
    ValidationFailed (400 `payment_method_mismatch`, `payment_method_id_required`,
    `save_requires_account`) and NotFound (404 `payment_method_not_found`: not the caller's card).
    """
    _check_payable(order)
    if method != order.payment_method:
        raise ValidationFailed(f"This order is paid by {order.payment_method}", reason="payment_method_mismatch",
                               status=400, details=[{"field": "paymentMethod",
                                                     "message": f"Must be {order.payment_method}"}])
    if method == "stripe" and not (payment_method_id or saved_method_id):
        raise ValidationFailed("paymentMethodId is required for Stripe", reason="payment_method_id_required",
                               status=400, details=[{"field": "paymentMethodId", "message": "Required"}])
    if (saved_method_id or save_method) and user is None:
        raise ValidationFailed("Sign in to use or save a card", reason="save_requires_account", status=400,
                               details=[{"field": "savedPaymentMethodId" if saved_method_id else "savePaymentMethod",
                                         "message": "Saved cards belong to an account"}])
    if saved_method_id:
        payments.own_method(user.id, saved_method_id)
    return jobs.create_job("payment", {"orderId": order.id, "paymentMethod": method,
                                       "paymentMethodId": payment_method_id, "savedPaymentMethodId": saved_method_id,
                                       "savePaymentMethod": bool(save_method and payment_method_id),
                                       "userId": user.id if user else None},
                           owner_id=user.id if user else order.customer_id, total=2)


def sync_payment_intent(intent, failure_hint: bool = False) -> str:
    """Apply Stripe's current view of a PaymentIntent to its order; returns the outcome.

    Outcomes: "paid", "failed", "processing", "refund_requested" (the intent succeeded
    but the order is cancelled: a `payment_refund` job gives the money back),
    "unchanged". Raises NotFound for an intent we did not create and PaymentFailed
    (`amount_mismatch`) when the amount or currency differs from the order's.
    """
    payment = Payment.get_or_none(Payment.provider_ref == intent.id)
    metadata = payments.plain(getattr(intent, "metadata", None))
    order_id = payment.order_id if payment else metadata.get("orderId")
    order = Order.get_or_none(Order.id == order_id) if order_id else None
    if order is None:
        raise NotFound(f"No order for PaymentIntent {intent.id}", reason="unknown_payment_intent")
    due = wallet_payments.card_amount(order)  # the total less the part paid from the wallet
    if intent.amount != due or str(intent.currency).upper() != order.currency:
        raise PaymentFailed(f"PaymentIntent {intent.id} is {intent.amount} {intent.currency}, the card pays "
                            f"{due} {order.currency}", reason="amount_mismatch")
    if intent.status == "succeeded":
        if order.status == "cancelled":
            return "refund_requested" if refunds.refund_late_payment(order.id) else "unchanged"
        if orders.mark_paid(order.id):
            return "paid"
        if Order.get_by_id(order.id).status == "cancelled":  # cancelled between our read and mark_paid
            return "refund_requested" if refunds.refund_late_payment(order.id) else "unchanged"
        return "unchanged"
    if intent.status == "processing":
        return "processing" if orders.mark_payment_processing(order.id) else "unchanged"
    if intent.status == "canceled" or (failure_hint and intent.status == "requires_payment_method"):
        message = payments.plain(getattr(intent, "last_payment_error", None)).get("message")
        return "failed" if orders.mark_payment_failed(order.id, message or intent.status) else "unchanged"
    return "unchanged"


def charge_order(order: Order, payment_method_id: str, customer_id: str | None = None) -> dict:
    """Confirm the order's PaymentIntent (created if missing) with Stripe PaymentMethod
    `payment_method_id` (of Stripe Customer `customer_id` for a saved card) and sync the order.
    Returns `{"paymentIntent": {"id", "clientSecret", "status"}, "outcome"}`. Raises PaymentFailed
    (402, e.g. a declined card: the order is marked failed, its stock released) whose `result` is
    `{"orderId", "paymentIntent": {"id", "status"}, "declineCode"}`, and TransientError."""
    payment = payments.ensure_payment_intent(order)
    try:
        intent = payments.confirm_payment_intent(order.id, payment.provider_ref, payment_method_id, customer_id)
    except PaymentFailed as exc:
        intent = payments.retrieve_payment_intent(payment.provider_ref)
        sync_payment_intent(intent, failure_hint=True)
        exc.result = {"orderId": order.id, "paymentIntent": {"id": intent.id, "status": intent.status},
                      "declineCode": exc.decline_code}
        raise
    outcome = sync_payment_intent(intent)
    return {"paymentIntent": {"id": intent.id, "clientSecret": payment.client_secret, "status": intent.status},
            "outcome": outcome}


def _stripe_target(payload: dict) -> tuple[str, str | None]:
    """(PaymentMethod id, Stripe Customer id or None) a payment job charges; saves the card first
    when asked (attached before the charge, so Stripe lets the customer reuse it)."""
    user_id = payload.get("userId")
    if payload.get("savedPaymentMethodId"):
        return payments.charge_target(user_id, payload["savedPaymentMethodId"])
    if payload.get("savePaymentMethod") and user_id:
        saved = payments.save_method(User.get_by_id(user_id), payload["paymentMethodId"])
        return payments.charge_target(user_id, saved.id)
    return payload["paymentMethodId"], None


def run_payment_job(job: Job, ctx) -> dict:
    """`payment` job: COD confirms the order; Stripe attaches the PaymentMethod (or the saved
    card) and confirms the PaymentIntent, then syncs the order. Result: `{"orderId",
    "paymentStatus", "status", "paymentIntent": {"id", "clientSecret", "status"}, "outcome"}`.
    Raises Conflict (`order_cancelled`) for an order cancelled since the request, NotFound for a
    saved card deleted since, PaymentFailed for a declined card (see `charge_order`)."""
    order = Order.get_by_id(job.payload["orderId"])
    result = {"orderId": order.id}
    if order.status == "cancelled":  # cancelled after the request was accepted: never confirm it now
        raise Conflict("Order is cancelled", reason="order_cancelled")
    if job.payload["paymentMethod"] == "cash_on_delivery":
        orders.confirm_order(order.id)
    else:
        ctx.progress(1, 2, "confirming the PaymentIntent")
        result.update(charge_order(order, *_stripe_target(job.payload)))
    order = Order.get_by_id(order.id)
    result.update(status=order.status, paymentStatus=order.payment_status)
    return result


def start_intent(order: Order, user: User | None) -> Job:
    """Seed 001 `POST /payments/create-intent`: write a `payment_intent` job (call in a transaction)
    whose result is the order's PaymentIntent. Raises Conflict (409 `order_already_paid` /
    `order_cancelled`) and ValidationFailed (400 `payment_method_mismatch`: a cash-on-delivery order)."""
    _check_payable(order)
    if order.payment_method != "stripe":
        raise ValidationFailed(f"This order is paid by {order.payment_method}", reason="payment_method_mismatch",
                               status=400, details=[{"field": "orderId", "message": "Not a card order"}])
    return jobs.create_job("payment_intent", {"orderId": order.id},
                           owner_id=user.id if user else order.customer_id)


def run_intent_job(job: Job, ctx) -> dict:
    """`payment_intent` job: the order's PaymentIntent (created once: fixed idempotency key).
    Result: `{"orderId", "paymentIntentId", "clientSecret", "amount" (minor units the card pays), "currency",
    "status"}`."""
    order = Order.get_by_id(job.payload["orderId"])
    payment = payments.ensure_payment_intent(order)
    return {"orderId": order.id, "paymentIntentId": payment.provider_ref, "clientSecret": payment.client_secret,
            "amount": wallet_payments.card_amount(order), "currency": order.currency,
            "status": payment.status}


def handle_payment_intent_event(event_type: str, obj: dict, event_id: str) -> dict:
    """`stripe_event` handler for `payment_intent.*`: re-read the PaymentIntent and sync its order.
    Returns `{"paymentIntentId", "outcome"}`."""
    intent = payments.retrieve_payment_intent(obj["id"])
    outcome = sync_payment_intent(intent, failure_hint=event_type == "payment_intent.payment_failed")
    return {"paymentIntentId": intent.id, "outcome": outcome}


payments.on_stripe_event(payments.PAYMENT_INTENT_EVENTS, handle_payment_intent_event)
