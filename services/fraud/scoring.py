"""Fraud scoring: the `fraud_score` job (`run_fraud_score_job`, a child job of checkout).

It scores with the active registry model (or rules only: `not_assessed`), stores a
FraudAssessment (one per job) and applies the decision of the ordered rules
(services.fraud.decisions). Re-running a job, or rescoring an order, never refunds twice.
"""

from __future__ import annotations

import peewee

from models.db import atomic
from models.fraud import FraudAssessment, FraudSignal
from models.jobs import Job
from models.orders import Order, Payment
from services import orders as order_service
from services import payments
from services.errors import Conflict, NotFound
from services.fraud.active_model import active_bundle
from services.fraud.assessments import assessment_to_dict
from services.fraud.decisions import apply_decision
from services.fraud.history import features_for_scoring
from services.fraud.rules import effective_rules
from services.fraud.signals import ensure_signals, set_card_fingerprint


def rule_attributes(order: Order, features: dict, probability: float | None, score: int | None, level: str) -> dict:
    """Everything a rule may refer to (ml.fraud.rules.ATTRIBUTES) for one order."""
    signal = FraudSignal.get_or_none(FraudSignal.order == order.id)
    return {**features, "risk_score": score, "probability": probability, "risk_level": level,
            "currency": order.currency, "payment_method": order.payment_method,
            "email_domain": signal.email_domain if signal else None, "ip_country": signal.ip_country if signal else None,
            "shipping_country": signal.shipping_country if signal else None,
            "billing_country": signal.billing_country if signal else None}


def assess(order_id: str) -> dict:
    """Score an order without storing anything: {"features", "probability", "riskScore",
    "riskLevel", "topFeatures", "decision", "ruleId", "rule", "modelVersionId"}."""
    from ml.fraud import scoring  # numpy/scikit-learn load only in processes that score

    order = Order.get_or_none(Order.id == order_id)
    if order is None:
        raise NotFound("Order not found", reason="order_not_found")
    features = features_for_scoring(order_id)
    version, bundle = active_bundle()
    probability = score = None
    top: list = []
    if bundle is not None:
        probability, top = scoring.explain(bundle, features)
        score = scoring.risk_score(probability)
    level = scoring.risk_level(score)
    attributes = rule_attributes(order, features, probability, score, level)
    decision, rule_id, rule_text = "allow", None, None
    for stored_id, rule in effective_rules():
        if rule.matches(attributes):
            decision, rule_id, rule_text = rule.action, stored_id, rule.text
            break
    return {"features": features, "probability": None if probability is None else round(probability, 6),
            "riskScore": score, "riskLevel": level, "topFeatures": top, "decision": decision,
            "ruleId": rule_id, "rule": rule_text, "modelVersionId": version.id if version else None,
            "schemaHash": version.schema_hash if version else None}


def _refresh_card(order: Order) -> None:
    """Fetch the card fingerprint from Stripe once a card is attached (best effort)."""
    if order.payment_method != "stripe":
        return
    payment = Payment.get_or_none(Payment.order == order.id)
    if payment is None or not payment.provider_ref or payment.card_fingerprint:
        return
    card = payments.card_fingerprint(payment.provider_ref)
    if card:
        set_card_fingerprint(order.id, card["fingerprint"])


def score_order(order_id: str, job_id: str | None = None) -> FraudAssessment:
    """Score `order_id` and store the assessment (one per job: a re-run returns the stored one).
    Raises NotFound."""
    if job_id:
        existing = FraudAssessment.get_or_none(FraudAssessment.job_id == job_id)
        if existing is not None:
            return existing
    order = Order.get_or_none(Order.id == order_id)
    if order is None:
        raise NotFound("Order not found", reason="order_not_found")
    ensure_signals([order_id])
    _refresh_card(order)
    result = assess(order_id)
    try:
        with atomic():
            return FraudAssessment.create(
                order=order_id, job_id=job_id, model_version_id=result["modelVersionId"],
                probability=result["probability"], risk_score=result["riskScore"], risk_level=result["riskLevel"],
                decision=result["decision"], rule_id=result["ruleId"], rule=result["rule"],
                features=result["features"], top_features=result["topFeatures"], schema_hash=result["schemaHash"],
                review_status="pending" if result["decision"] == "review" else None)
    except peewee.IntegrityError:  # a concurrent duplicate of the same job stored it first
        return FraudAssessment.get(FraudAssessment.job_id == job_id)


def run_fraud_score_job(job: Job, ctx) -> dict:
    """`fraud_score` job (payload {"orderId"}): score, store, apply. Result: the assessment's API dict.
    With {"orderId", "refundOnly": true} (written by earlier versions when a rejection's refund
    failed; rejections now write a `payment_refund` job) it only voids or refunds the cancelled
    order through the orders' refund path: {"orderId", "payment": "voided" | "refunded" | "none"}."""
    if job.payload.get("refundOnly"):
        order = Order.get_or_none(Order.id == job.payload["orderId"])
        if order is None:
            raise NotFound("Order not found", reason="order_not_found")
        if order.status != "cancelled":
            raise Conflict("Only a cancelled order is refunded", reason="order_not_cancelled")
        outcome = order_service.refund_cancelled_order(order.id, "fraud_rejected")
        return {"orderId": order.id, "payment": outcome["action"]}
    ctx.progress(0, 2, "scoring")
    assessment = score_order(job.payload["orderId"], job.id)
    ctx.progress(1, 2, f"decision {assessment.decision}")
    apply_decision(assessment)
    return assessment_to_dict(FraudAssessment.get_by_id(assessment.id))
