"""The admin fraud review queue: `approve` releases the hold (a non-fraud label), `reject`
cancels and refunds (a fraud label).
"""

from __future__ import annotations

from models.db import atomic, utcnow
from models.fraud import FraudAssessment
from models.orders import Order
from models.users import User
from services import orders as order_service
from services.errors import Conflict
from services.fraud.assessments import latest_assessment
from services.fraud.labels import label_order


def review_queue(page: int, limit: int) -> tuple[list[tuple[Order, FraudAssessment]], int]:
    """Orders on hold awaiting a fraud review, oldest first: [(order, assessment)], total."""
    query = (FraudAssessment.select(FraudAssessment, Order).join(Order)
             .where(FraudAssessment.review_status == "pending", Order.status == "on_hold"))
    total = query.count()
    rows = query.order_by(FraudAssessment.created_at, FraudAssessment.id).paginate(page, limit)
    return [(row.order, row) for row in rows], total


def _close_review(order_id: str, admin: User, decision: str) -> FraudAssessment:
    """Mark the order's pending review `decision` ("approved" | "rejected") by `admin`, with a
    conditional update (call inside a transaction). Raises NotFound, Conflict (not awaiting review)."""
    assessment = latest_assessment(order_id)
    now = utcnow()
    done = FraudAssessment.update(review_status=decision, reviewed_by=admin.id, reviewed_at=now,
                                  updated_at=now).where(FraudAssessment.id == assessment.id,
                                                        FraudAssessment.review_status == "pending").execute()
    if not done:
        raise Conflict("This order is not awaiting a fraud review", reason="not_in_review")
    return assessment


def approve(order_id: str, admin: User) -> FraudAssessment:
    """Release a held order (on_hold -> confirmed/pending) and label it legitimate.
    Raises NotFound, Conflict (not awaiting review)."""
    with atomic():
        assessment = _close_review(order_id, admin, "approved")
        order_service.release_hold(order_id)
        label_order(order_id, False, "admin_approval", admin.id)
    return FraudAssessment.get_by_id(assessment.id)


def reject(order_id: str, admin: User) -> FraudAssessment:
    """Cancel a held order as fraud (stock released; for a Stripe order a `payment_refund` job,
    committed with the cancellation, voids or refunds the payment) and label it fraud.
    The outcome's `payment` is `order_service.payment_settlement` ("refund_requested" until
    the job finished). Raises NotFound, Conflict (not awaiting review)."""
    with atomic():
        assessment = _close_review(order_id, admin, "rejected")
        order_service.cancel_for_fraud(order_id, "rejected in fraud review", refund_reason="fraud_rejected")
        label_order(order_id, True, "admin_rejection", admin.id)
        outcome = {**(assessment.outcome or {}), "review": "rejected", "order": "cancelled",
                   "payment": order_service.payment_settlement(order_id)}
        FraudAssessment.update(outcome=outcome).where(FraudAssessment.id == assessment.id).execute()
    return FraudAssessment.get_by_id(assessment.id)
