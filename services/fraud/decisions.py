"""Carrying out a fraud decision: review -> order on hold; block -> order cancelled, stock
released, PaymentIntent voided or refunded (fixed Stripe idempotency keys, so a re-run never
refunds twice).
"""

from __future__ import annotations

from models.db import utcnow
from models.fraud import FraudAssessment
from models.orders import Order, Payment
from services import orders as order_service
from services import payments


def _void_or_refund(order: Order) -> str:
    """Give the money back for a cancelled order once; returns "voided", "refunded" or "none"."""
    payment = Payment.get_or_none(Payment.order == order.id)
    if payment is None or payment.provider != "stripe" or not payment.provider_ref:
        return "none"
    if payment.status in ("refunded", "canceled"):  # done by an earlier run
        return "refunded" if payment.status == "refunded" else "voided"
    outcome = payments.void_or_refund(order.id, payment.provider_ref)
    if outcome["action"] == "refunded":
        order_service.mark_refunded(order.id)
    elif outcome["action"] == "voided" or outcome["status"] == "canceled":
        order_service.mark_payment_voided(order.id, "voided: order cancelled as fraud")
    return outcome["action"]


def apply_decision(assessment: FraudAssessment) -> dict:
    """Carry out an assessment's decision and record the outcome (idempotent).

    allow: nothing. review: the order goes on hold (pending or confirmed orders only).
    block: the order is cancelled (stock released once) and its payment voided or
    refunded (fixed Stripe idempotency keys, so a re-run never refunds twice).
    Returns the outcome dict stored on the assessment.
    """
    order = Order.get_by_id(assessment.order_id)
    outcome: dict = {"decision": assessment.decision}
    if assessment.decision == "review":
        held = order_service.hold_for_review(order.id)
        order = Order.get_by_id(order.id)
        outcome["order"] = order.status
        outcome["held"] = held or order.status == "on_hold"
        if not outcome["held"]:
            FraudAssessment.update(review_status=None).where(FraudAssessment.id == assessment.id).execute()
    elif assessment.decision == "block":
        order_service.cancel_for_fraud(order.id, f"blocked by fraud rule: {assessment.rule}")
        order = Order.get_by_id(order.id)
        outcome["order"] = order.status
        outcome["stockReleased"] = bool(order.stock_released)
        if order.status == "cancelled":
            outcome["payment"] = _void_or_refund(order)
    else:
        outcome["order"] = order.status
    FraudAssessment.update(outcome=outcome, updated_at=utcnow()).where(FraudAssessment.id == assessment.id).execute()
    return outcome
