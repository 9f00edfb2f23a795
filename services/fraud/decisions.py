"""Carrying out a fraud decision: review -> order on hold; block -> order cancelled, stock
released, and the payment given back through the orders' refund path (the cancellation writes
a `payment_refund` job that voids or refunds the PaymentIntent with fixed Stripe idempotency
keys, so a re-run never refunds twice).
"""

from __future__ import annotations

from models.db import utcnow
from models.fraud import FraudAssessment
from models.orders import Order
from services import orders as order_service


def apply_decision(assessment: FraudAssessment) -> dict:
    """Carry out an assessment's decision and record the outcome (idempotent).

    allow: nothing. review: the order goes on hold (pending or confirmed orders only).
    block: the order is cancelled (stock released once) and, for a Stripe order, a
    `payment_refund` job is written with the cancellation; it voids or refunds the payment.
    Returns the outcome dict stored on the assessment (and set on `assessment`, with
    `updated_at` and `review_status`, so the caller need not read it again); its `payment` is
    `order_service.payment_settlement` ("refund_requested" until the job finished).
    """
    order = Order.get_by_id(assessment.order_id)
    outcome: dict = {"decision": assessment.decision}
    if assessment.decision == "review":
        held = order_service.hold_for_review(order.id)
        order = Order.get_by_id(order.id)
        outcome["order"] = order.status
        outcome["held"] = held or order.status == "on_hold"
    elif assessment.decision == "block":
        order_service.cancel_for_fraud(order.id, f"blocked by fraud rule: {assessment.rule}",
                                       refund_reason="fraud_blocked")
        order = Order.get_by_id(order.id)
        outcome["order"] = order.status
        outcome["stockReleased"] = bool(order.stock_released)
        if order.status == "cancelled":
            outcome["payment"] = order_service.payment_settlement(order.id)
    else:
        outcome["order"] = order.status
    assessment.outcome, assessment.updated_at = outcome, utcnow()
    fields = {"outcome": outcome, "updated_at": assessment.updated_at}
    if assessment.decision == "review" and not outcome["held"]:  # nothing left to review
        assessment.review_status = fields["review_status"] = None
    FraudAssessment.update(**fields).where(FraudAssessment.id == assessment.id).execute()
    return outcome
