"""Stored fraud assessments: an order's latest one and its API dict."""

from __future__ import annotations

from models.db import isoformat
from models.fraud import FraudAssessment
from models.orders import Order
from services.errors import NotFound


def latest_assessment(order_id: str) -> FraudAssessment:
    """The order's most recent assessment. Raises NotFound (order or assessment)."""
    if Order.get_or_none(Order.id == order_id) is None:
        raise NotFound("Order not found", reason="order_not_found")
    row = (FraudAssessment.select().where(FraudAssessment.order == order_id)
           .order_by(FraudAssessment.created_at.desc(), FraudAssessment.id.desc()).first())
    if row is None:
        raise NotFound("This order has not been assessed yet", reason="fraud_assessment_not_found")
    return row


def assessment_to_dict(a: FraudAssessment) -> dict:
    return {"id": a.id, "orderId": a.order_id, "jobId": a.job_id, "modelVersionId": a.model_version_id,
            "probability": a.probability, "riskScore": a.risk_score, "riskLevel": a.risk_level,
            "decision": a.decision, "ruleId": a.rule_id, "rule": a.rule, "topFeatures": a.top_features,
            "features": a.features, "outcome": a.outcome, "reviewStatus": a.review_status,
            "reviewedBy": a.reviewed_by, "reviewedAt": isoformat(a.reviewed_at),
            "createdAt": isoformat(a.created_at)}
