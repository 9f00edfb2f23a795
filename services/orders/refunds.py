"""Giving the money back on cancelled orders: the `payment_refund` job and the order's refunds.

Every cancellation of a Stripe order writes a `payment_refund` job in the same
transaction (`transitions.request_refund`), and so does a `payment_intent.succeeded`
for an order already cancelled (`payment_flow`). The job re-reads the
PaymentIntent through `services.payments.void_or_refund` (fixed idempotency keys
`order:{id}:void` / `order:{id}:refund`, and an existing refund for the order is
found on Stripe first): an open PaymentIntent is cancelled, a captured one is
refunded in full. A refund is recorded as a `Refund` row (unique provider refund
id) and the order moves to `refunded`; a void moves its payment to `canceled`.
Running the job again, or several jobs for one order, refunds at most once.

Refunds in the order view (`refund_view`), like Saleor's and Shopify's order refunds:
`{"id": "rfd_...", "paymentId", "providerRefundId": "re_...", "amount" (minor units),
"currency", "status" (Stripe's: pending | requires_action | succeeded | failed | canceled),
"reason", "kind" (cancellation | manual), "lines" ([{"itemId", "quantity"}]), "toWallet" (given back to
the customer's wallet: providerRefundId is then the wallet ledger line, wtx_...), "createdAt"}`.
"""

from __future__ import annotations

from models.db import atomic, isoformat, utcnow
from models.jobs import Job
from models.orders import LIVE_REFUND_STATUSES, Order, Payment, Refund
from services import payments
from services.errors import Conflict, NotFound
from services.orders import manual_refunds, transitions
from services.orders.live import publish_order_changed



def _recorded_refund(payment_id: str) -> Refund | None:
    """The card's cancellation refund of the payment (staff refunds, services.orders.manual_refunds, and
    the wallet part given back to the wallet, services.orders.wallet_payments, are not)."""
    return (Refund.select().where(Refund.payment == payment_id, Refund.status.in_(LIVE_REFUND_STATUSES),
                                  Refund.kind == "cancellation", Refund.to_wallet == False)  # noqa: E712
            .order_by(Refund.created_at).first())


def refund_cancelled_order(order_id: str, reason: str) -> dict:
    """Void or refund the Stripe payment of a cancelled order, once (the `payment_refund` job's work).

    Returns `{"orderId", "action": "voided" | "refunded" | "none", "intentStatus",
    "refundId": "rfd_..." | None, "providerRefundId": "re_..." | None}`; "none" for an order
    without a PaymentIntent, or one Stripe reports canceled already (the payment is then
    marked canceled) or still processing (its outcome arrives as a webhook, which refunds a
    success). Raises NotFound (`order_not_found`), Conflict (`order_not_refundable`: the
    order is not cancelled), PaymentFailed / TransientError from Stripe.
    """
    order = Order.get_or_none(Order.id == order_id)
    if order is None:
        raise NotFound("Order not found", reason="order_not_found")
    if order.status != "cancelled":
        raise Conflict("Only a cancelled order's payment is voided or refunded", reason="order_not_refundable")
    outcome = {"orderId": order.id, "action": "none", "intentStatus": None, "refundId": None,
               "providerRefundId": None}
    payment = Payment.get_or_none(Payment.order == order.id)
    if payment is None or payment.provider != "stripe" or not payment.provider_ref:
        return outcome
    recorded = _recorded_refund(payment.id)
    if recorded is not None:  # an earlier run got this far
        transitions.mark_refunded(order.id)
        return dict(outcome, action="refunded", refundId=recorded.id, providerRefundId=recorded.provider_ref)
    result = payments.void_or_refund(order.id, payment.provider_ref, reason)
    outcome["intentStatus"] = result["status"]
    if result["action"] == "refunded":
        refund = result["refund"]
        with atomic():
            Refund.insert(order=order.id, payment=payment.id, provider_ref=refund["id"], amount=refund["amount"],
                          currency=refund["currency"], status=refund["status"], reason=reason[:200]
                          ).on_conflict_ignore().execute()
            transitions.mark_refunded(order.id)
        row = Refund.get(Refund.provider_ref == refund["id"])
        return dict(outcome, action="refunded", refundId=row.id, providerRefundId=row.provider_ref)
    if result["action"] == "voided" or result["status"] == "canceled":
        transitions.mark_payment_voided(order.id, f"voided: {reason}")
        return dict(outcome, action="voided" if result["action"] == "voided" else "none")
    return outcome


def run_refund_job(job: Job, ctx) -> dict:
    """`payment_refund` job: payload `{"orderId", "reason"}` gives back a cancelled order's payment
    (`refund_cancelled_order`, whose dict is the result); `{"orderId", "refundId"}` makes a staff
    refund on Stripe (services.orders.manual_refunds.execute_refund)."""
    if job.payload.get("refundId"):
        return manual_refunds.execute_refund(job.payload["refundId"])
    return refund_cancelled_order(job.payload["orderId"], job.payload.get("reason") or "order_cancelled")


def payment_settlement(order_id: str) -> str:
    """Where giving back a cancelled order's payment stands: "none" (no Stripe PaymentIntent),
    "refunded", "voided", or "refund_requested" (its `payment_refund` job has not finished)."""
    payment = Payment.get_or_none(Payment.order == order_id)
    if payment is None or payment.provider != "stripe" or not payment.provider_ref:
        return "none"
    if payment.status == "refunded" or _recorded_refund(payment.id) is not None:
        return "refunded"
    return "voided" if payment.status == "canceled" else "refund_requested"


def refund_late_payment(order_id: str) -> Job | None:
    """A PaymentIntent of an already cancelled order succeeded: write its `payment_refund` job
    (reason `paid_after_cancel`) unless a refund is already recorded. Returns the job or None."""
    with atomic():
        payment = Payment.get_or_none(Payment.order == order_id)
        if payment is not None and _recorded_refund(payment.id) is not None:
            return None
        return transitions.request_refund(order_id, "paid_after_cancel")


def handle_refund_event(event_type: str, obj: dict, event_id: str) -> dict:
    """`stripe_event` handler for `charge.refund.updated`: a refund Stripe reported `pending` (or
    `requires_action`) settles later. Re-reads the refund from Stripe and stores its status; a
    staff refund's order then follows (`transitions.follow_refunds`: partially refunded or refunded;
    a failed one makes its amount refundable again). Returns `{"refundOutcome": "updated" |
    "unchanged" | "unknown_refund", "refundStatus"}`."""
    refund = Refund.get_or_none(Refund.provider_ref == obj.get("id")) if obj.get("id") else None
    if refund is None:
        return {"refundOutcome": "unknown_refund", "refundStatus": obj.get("status")}
    current = payments.retrieve_refund(refund.provider_ref)
    with atomic():
        changed = Refund.update(status=current["status"], updated_at=utcnow()).where(
            Refund.id == refund.id, Refund.status != current["status"]).execute()
        if changed:
            if refund.kind == "manual":
                transitions.follow_refunds(refund.order_id)
            publish_order_changed(refund.order_id)
    return {"refundOutcome": "updated" if changed else "unchanged", "refundStatus": current["status"]}


payments.on_stripe_event(payments.REFUND_EVENTS, handle_refund_event)


def refund_view(refund: Refund) -> dict:
    """A refund in the order view (see module docstring); money in minor units."""
    return {"id": refund.id, "paymentId": refund.payment_id, "providerRefundId": refund.provider_ref,
            "amount": refund.amount, "currency": refund.currency, "status": refund.status,
            "reason": refund.reason, "kind": refund.kind, "lines": refund.lines or [], "toWallet": refund.to_wallet,
            "createdAt": isoformat(refund.created_at)}
