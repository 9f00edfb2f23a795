"""Fraud scoring: the `fraud_score` job (`run_fraud_score_job`, a child job of checkout).

It scores with the active registry model (or rules only: `not_assessed`), stores a
FraudAssessment (one per job) and applies the decision of the ordered rules
(services.fraud.decisions). Re-running a job, or rescoring an order, never refunds twice.
"""

from __future__ import annotations

from ml.fraud.features import OrderFacts
from models.db import atomic, utcnow
from models.fraud import FraudAssessment
from models.jobs import Job
from models.orders import Order, Payment
from services import orders as order_service
from services import payments
from services.errors import Conflict, NotFound
from services.fraud.active_model import active_bundle
from services.fraud.assessments import assessment_to_dict
from services.fraud.decisions import apply_decision
from services.fraud.history import scoring_inputs
from services.fraud.rules import effective_rules
from services.fraud.signals import set_card_fingerprint


def rule_attributes(facts: OrderFacts, currency: str, features: dict, probability: float | None,
                    score: int | None, level: str) -> dict:
    """Everything a rule may refer to (ml.fraud.rules.ATTRIBUTES) for one order, from its facts."""
    return {**features, "risk_score": score, "probability": probability, "risk_level": level,
            "currency": currency, "payment_method": facts.payment_method, "email_domain": facts.email_domain,
            "ip_country": facts.ip_country, "shipping_country": facts.shipping_country,
            "billing_country": facts.billing_country}


def assess(order_id: str) -> dict:
    """Score an order without storing anything (`assess_many` of one). Raises NotFound."""
    result = assess_many([order_id])
    if order_id not in result:
        raise NotFound("Order not found", reason="order_not_found")
    return result[order_id]


def assess_many(order_ids: list[str], orders: dict[str, Order] | None = None) -> dict[str, dict]:
    """Score orders without storing anything, with one history query and one model call for
    all of them: {order id: {"features", "probability", "riskScore", "riskLevel", "topFeatures",
    "decision", "ruleId", "rule", "modelVersionId", "schemaHash"}} for the orders that exist.
    `orders`: the Order rows when the caller has them already (read otherwise)."""
    from ml.fraud import scoring  # numpy/scikit-learn load only in processes that score

    inputs = {facts.order_id: (facts, features) for facts, features in scoring_inputs(order_ids, orders)}
    ids = [i for i in dict.fromkeys(order_ids) if i in inputs]
    if not ids:
        return {}
    features = {i: inputs[i][1] for i in ids}
    currencies = ({i: orders[i].currency for i in ids} if orders is not None else
                  dict(Order.select(Order.id, Order.currency).where(Order.id.in_(ids)).tuples()))
    version, bundle = active_bundle()
    explained = (scoring.explain_many(bundle, [features[i] for i in ids]) if bundle is not None
                 else [(None, [])] * len(ids))
    rules = effective_rules()
    results = {}
    for order_id, (probability, top) in zip(ids, explained):
        score = None if probability is None else scoring.risk_score(probability)
        level = scoring.risk_level(score)
        attributes = rule_attributes(inputs[order_id][0], currencies[order_id], features[order_id],
                                     probability, score, level)
        decision, rule_id, rule_text = "allow", None, None
        for stored_id, rule in rules:
            if rule.matches(attributes):
                decision, rule_id, rule_text = rule.action, stored_id, rule.text
                break
        results[order_id] = {
            "features": features[order_id], "probability": None if probability is None else round(probability, 6),
            "riskScore": score, "riskLevel": level, "topFeatures": top, "decision": decision,
            "ruleId": rule_id, "rule": rule_text, "modelVersionId": version.id if version else None,
            "schemaHash": version.schema_hash if version else None}
    return results


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
    outcome = score_orders([(order_id, job_id)])[0]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def score_orders(requests: list[tuple[str, str | None]]) -> list[FraudAssessment | Exception]:
    """Score and store a batch of (order id, job id) requests: one facts query, one history
    query and one model call for the batch, then one INSERT of the new assessments (a job's
    assessment is stored once: a re-run, or a concurrent duplicate, gets the stored row).

    Returns, in request order, each request's FraudAssessment, or the exception that request
    alone raised (NotFound for a missing order; a Stripe error while fetching its card).
    Errors shared by the batch (the database, the model) raise."""
    job_ids = [job_id for _, job_id in requests if job_id]
    stored = ({a.job_id: a for a in FraudAssessment.select().where(FraudAssessment.job_id.in_(job_ids))}
              if job_ids else {})
    todo = [order_id for order_id, job_id in requests if job_id not in stored]
    orders = {o.id: o for o in Order.select().where(Order.id.in_(todo))} if todo else {}
    failed: dict[str, Exception] = {}
    for order in orders.values():
        try:
            _refresh_card(order)  # before the signals are read (assess_many creates missing ones)
        except Exception as exc:  # noqa: BLE001 - this order's retry; the others go on
            failed[order.id] = exc
    results = assess_many([i for i in orders if i not in failed], orders)
    rows: list[dict | None] = [None if job_id in stored or order_id not in results
                               else _assessment_row(order_id, job_id, results[order_id])
                               for order_id, job_id in requests]
    saved = _insert_assessments([row for row in rows if row is not None])
    outcomes: list[FraudAssessment | Exception] = []
    for (order_id, job_id), row in zip(requests, rows):
        if job_id in stored:
            outcomes.append(stored[job_id])
        elif row is not None:
            outcomes.append(saved[job_id or row["id"]])
        else:
            outcomes.append(failed.get(order_id) or NotFound("Order not found", reason="order_not_found"))
    return outcomes


def _assessment_row(order_id: str, job_id: str | None, result: dict) -> dict:
    now = utcnow()
    return {"id": FraudAssessment.id.default(), "order": order_id, "job_id": job_id,
            "model_version_id": result["modelVersionId"], "probability": result["probability"],
            "risk_score": result["riskScore"], "risk_level": result["riskLevel"], "decision": result["decision"],
            "rule_id": result["ruleId"], "rule": result["rule"], "features": result["features"],
            "top_features": result["topFeatures"], "schema_hash": result["schemaHash"], "outcome": {},
            "review_status": "pending" if result["decision"] == "review" else None,
            "created_at": now, "updated_at": now}


def _insert_assessments(rows: list[dict]) -> dict[str, FraudAssessment]:
    """Insert assessment rows in one statement (a job already assessed by a concurrent duplicate
    keeps its row): {job id, or the row id when it has no job: assessment}. The rows inserted
    (RETURNING tells which) are the ones given; only those a duplicate had stored are read."""
    if not rows:
        return {}
    with atomic():
        inserted = {row_id for (row_id,) in FraudAssessment.insert_many(rows).on_conflict_ignore()
                    .returning(FraudAssessment.id).tuples().execute()}
    saved = {r["job_id"] or r["id"]: FraudAssessment(**r) for r in rows if r["id"] in inserted}
    others = [r["job_id"] for r in rows if r["id"] not in inserted and r["job_id"]]
    if others:
        saved.update({a.job_id: a for a in FraudAssessment.select().where(FraudAssessment.job_id.in_(others))})
    return saved


def _refund_only(job: Job) -> dict:
    """A `refundOnly` job (written by earlier versions when a rejection's refund failed; rejections
    now write a `payment_refund` job): void or refund the cancelled order through the orders'
    refund path. Raises NotFound, Conflict (the order is not cancelled)."""
    order = Order.get_or_none(Order.id == job.payload["orderId"])
    if order is None:
        raise NotFound("Order not found", reason="order_not_found")
    if order.status != "cancelled":
        raise Conflict("Only a cancelled order is refunded", reason="order_not_cancelled")
    outcome = order_service.refund_cancelled_order(order.id, "fraud_rejected")
    return {"orderId": order.id, "payment": outcome["action"]}


def run_fraud_score_batch(batch: list[Job]) -> dict[str, dict | Exception]:
    """A batch of `fraud_score` jobs (payload {"orderId"}) claimed together: score them with one
    model call (`score_orders`), store, apply each decision. Returns {job id: the assessment's API
    dict, or the exception of that job alone}; errors shared by the batch raise (every job of
    the batch is then retried). A {"orderId", "refundOnly": true} job gives {"orderId",
    "payment": "voided" | "refunded" | "none"} (`_refund_only`)."""
    outcomes: dict[str, dict | Exception] = {}
    scoring_jobs = []
    for job in batch:
        if not job.payload.get("refundOnly"):
            scoring_jobs.append(job)
            continue
        try:
            outcomes[job.id] = _refund_only(job)
        except Exception as exc:  # noqa: BLE001 - reported as this job's outcome
            outcomes[job.id] = exc
    assessments = score_orders([(job.payload["orderId"], job.id) for job in scoring_jobs])
    for job, assessment in zip(scoring_jobs, assessments):
        if isinstance(assessment, Exception):
            outcomes[job.id] = assessment
            continue
        try:
            apply_decision(assessment)  # records the outcome on `assessment` too
            outcomes[job.id] = assessment_to_dict(assessment)
        except Exception as exc:  # noqa: BLE001 - reported as this job's outcome
            outcomes[job.id] = exc
    return outcomes


def run_fraud_score_job(job: Job, ctx) -> dict:
    """`fraud_score` job alone (a batch of one, `run_fraud_score_batch`): the assessment's API dict.
    Raises what the job raised."""
    outcome = run_fraud_score_batch([job])[job.id]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome
