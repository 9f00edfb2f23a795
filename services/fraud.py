"""Fraud scoring (DESIGN.md section 5; issue 3 deliverable 1).

- Signals and features: `ensure_signals` stores each order's normalised keys
  (FraudSignal); `order_facts` + `scoring_history` / `training_history` feed
  ml.fraud.features.compute_features, the one feature function of training
  and scoring.
- Scoring: `run_fraud_score_job` (the `fraud_score` child job of checkout)
  scores with the active registry model (or rules only: `not_assessed`),
  stores a FraudAssessment and applies the decision of the ordered rules:
  review -> order on hold; block -> order cancelled, stock released,
  PaymentIntent voided or refunded (fixed Stripe idempotency keys). Re-running
  a job, or rescoring an order, never refunds twice.
- Rules: admin CRUD and reordering; an empty rule table means DEFAULT_RULES.
- Review: `approve` releases the hold (a non-fraud label), `reject` cancels and
  refunds (a fraud label).
- Labels: chargebacks (`charge.dispute.created`), refunds (`charge.refunded`)
  and admin rejections are fraud; see `record_stripe_label`.
- Training: `run_fraud_train_job` builds the labelled set, trains with
  ml.fraud.train, registers the model and activates it unless it is worse
  (average precision) than the active one on the same test slice.
- Demo data: `generate_demo_history` writes ml.fraud.synthetic's SYNTHETIC history.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging

import numpy as np
import peewee

from ml.fraud import geo, rules as rule_lang, scoring
from ml.fraud import train as fraud_train
from ml.fraud.features import (FEATURES, MAX_WINDOW, History, OrderFacts, address_key, compute_features,
                               feature_matrix, normalise_email)
from models.db import atomic, isoformat, utcnow
from models.fraud import FraudAssessment, FraudLabel, FraudRule, FraudSignal
from models.jobs import Job
from models.orders import Order, OrderItem, Payment
from models.users import User
from services import jobs, model_registry, orders as order_service
from services.errors import Conflict, NotFound, ValidationFailed

log = logging.getLogger(__name__)

KIND = "fraud"

DEFAULT_RULES = [
    ("block", "risk_level = 'highest'", "Radar default: block the highest risk"),
    ("review", "risk_level = 'elevated'", "Radar default: review elevated risk"),
    ("block", "failed_payments_card_1h >= 3 or failed_payments_ip_1h >= 4", "Card testing"),
    ("review", "is_disposable_email and amount > 20000", "Large order from a disposable email"),
]
"""Rules used while the rule table is empty: (action, condition, description)."""


# -- signals and features ----------------------------------------------------------------------

def _country(address: dict | None) -> str | None:
    value = (address or {}).get("country")
    return value.upper()[:2] if isinstance(value, str) and len(value) == 2 else None


def _public_ip(ip: str | None) -> str | None:
    """`ip` when it is a global address; private, loopback and malformed ones identify nobody
    (every request through a misconfigured proxy would share them), so they are not velocity keys."""
    try:
        return ip if ip and ipaddress.ip_address(ip).is_global else None
    except ValueError:
        return None


def _signal_row(order: Order, card_fingerprint: str | None) -> dict:
    email, domain = normalise_email(order.customer_email)
    client_ip = _public_ip(order.client_ip)
    return {"order": order.id, "created_at": order.created_at, "customer_id": order.customer_id, "email": email,
            "email_domain": domain, "client_ip": client_ip, "ip_country": geo.ip_country(client_ip),
            "card_fingerprint": card_fingerprint, "shipping_key": address_key(order.shipping_address),
            "shipping_country": _country(order.shipping_address), "billing_country": _country(order.billing_address)}


def ensure_signals(order_ids: list[str] | None = None, batch: int = 500) -> int:
    """Create the missing FraudSignal rows of `order_ids` (all orders when None).
    Returns how many were created. Safe to run concurrently (conflicts are ignored)."""
    created = 0
    query = (Order.select(Order, Payment.card_fingerprint.alias("card_fp"))
             .join(Payment, peewee.JOIN.LEFT_OUTER, on=(Payment.order == Order.id))
             .join(FraudSignal, peewee.JOIN.LEFT_OUTER, on=(FraudSignal.order == Order.id))
             .where(FraudSignal.order.is_null()))
    if order_ids is not None:
        query = query.where(Order.id.in_(order_ids))
    rows = [_signal_row(o, getattr(o, "card_fp", None)) for o in query.objects()]
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        with atomic():
            created += FraudSignal.insert_many(chunk).on_conflict_ignore().as_rowcount().execute() or 0
    return created


def set_card_fingerprint(order_id: str, fingerprint: str) -> None:
    """Record the card fingerprint on the order's Payment and its FraudSignal."""
    with atomic():
        Payment.update(card_fingerprint=fingerprint).where(Payment.order == order_id).execute()
        FraudSignal.update(card_fingerprint=fingerprint).where(FraudSignal.order == order_id).execute()


def _facts_query():
    quantity = (OrderItem.select(peewee.fn.COALESCE(peewee.fn.SUM(OrderItem.quantity), 0))
                .where(OrderItem.order == Order.id))
    return (FraudSignal.select(FraudSignal, Order.total.alias("amount"), Order.payment_status.alias("pay_status"),
                               Order.payment_method.alias("pay_method"), User.created_at.alias("account_created"),
                               quantity.alias("qty"))
            .join(Order, on=(FraudSignal.order == Order.id))
            .join(User, peewee.JOIN.LEFT_OUTER, on=(Order.customer == User.id)))


def _facts(row, addresses: dict | None = None) -> OrderFacts:
    distance = None
    if addresses is not None and row.order_id in addresses:
        shipping, billing = addresses[row.order_id]
        distance = geo.address_distance_km(billing, shipping)
    return OrderFacts(
        order_id=row.order_id, created_at=row.created_at, amount=int(row.amount),
        customer_key=row.customer_id or f"email:{row.email}", email=row.email, email_domain=row.email_domain,
        client_ip=row.client_ip, ip_country=row.ip_country, card_fingerprint=row.card_fingerprint,
        shipping_key=row.shipping_key, shipping_country=row.shipping_country, billing_country=row.billing_country,
        payment_failed=row.pay_status == "failed", payment_method=row.pay_method,
        item_quantity=int(row.qty or 0), account_created_at=row.account_created, address_distance_km=distance)


def order_facts(order_ids: list[str]) -> list[OrderFacts]:
    """OrderFacts (with address distance) of `order_ids`, creating missing signals first."""
    ensure_signals(order_ids)
    addresses = {o.id: (o.shipping_address, o.billing_address) for o in
                 Order.select(Order.id, Order.shipping_address, Order.billing_address).where(Order.id.in_(order_ids))}
    rows = _facts_query().where(FraudSignal.order.in_(order_ids)).objects()
    by_id = {r.order_id: _facts(r, addresses) for r in rows}
    return [by_id[i] for i in order_ids if i in by_id]


def scoring_history(target: OrderFacts) -> History:
    """The earlier orders one order's features need: every order sharing its email, IP, card or
    shipping address within the longest velocity window, and all of the customer's orders."""
    since = target.created_at - MAX_WINDOW
    related = ((FraudSignal.email == target.email) | (FraudSignal.shipping_key == target.shipping_key))
    if target.client_ip:
        related |= FraudSignal.client_ip == target.client_ip
    if target.card_fingerprint:
        related |= FraudSignal.card_fingerprint == target.card_fingerprint
    window = related & (FraudSignal.created_at >= since) & (FraudSignal.created_at < target.created_at)
    if target.customer_key.startswith("email:"):
        customer = FraudSignal.email == target.email
    else:
        customer = FraudSignal.customer_id == target.customer_key
    customer &= FraudSignal.created_at < target.created_at
    history = History()
    for row in _facts_query().where(window | customer).objects():
        history.add(_facts(row))
    return history.freeze()


def training_history(until: dt.datetime | None = None) -> History:
    """Every order (up to `until`) in one History, for computing a whole training set."""
    query = _facts_query()
    if until is not None:
        query = query.where(FraudSignal.created_at <= until)
    history = History()
    for row in query.objects():
        history.add(_facts(row))
    return history.freeze()


def features_for_scoring(order_id: str) -> dict:
    """The scoring path: one order's features from a targeted history query."""
    target = order_facts([order_id])
    if not target:
        raise NotFound("Order not found", reason="order_not_found")
    return compute_features(target[0], scoring_history(target[0]))


def features_for_training(order_ids: list[str]) -> list[dict]:
    """The training path: features of many orders from one bulk history."""
    ensure_signals()
    targets = order_facts(order_ids)
    history = training_history(max((t.created_at for t in targets), default=None))
    return [compute_features(t, history) for t in targets]


def rule_attributes(order: Order, features: dict, probability: float | None, score: int | None, level: str) -> dict:
    """Everything a rule may refer to (ml.fraud.rules.ATTRIBUTES) for one order."""
    signal = FraudSignal.get_or_none(FraudSignal.order == order.id)
    return {**features, "risk_score": score, "probability": probability, "risk_level": level,
            "currency": order.currency, "payment_method": order.payment_method,
            "email_domain": signal.email_domain if signal else None, "ip_country": signal.ip_country if signal else None,
            "shipping_country": signal.shipping_country if signal else None,
            "billing_country": signal.billing_country if signal else None}


# -- rules -------------------------------------------------------------------------------------

def _parse(action: str, condition: str):
    try:
        return rule_lang.parse_rule(f"{action} if {condition}")
    except rule_lang.RuleError as exc:
        raise ValidationFailed(f"Invalid rule: {exc}", reason="invalid_rule",
                               details=[{"field": "rule", "message": str(exc)}]) from None


def parse_rule_text(text: str):
    """Parse a full rule text (`block if risk_score >= 75`). Raises ValidationFailed (422 invalid_rule)."""
    try:
        return rule_lang.parse_rule(text)
    except rule_lang.RuleError as exc:
        raise ValidationFailed(f"Invalid rule: {exc}", reason="invalid_rule",
                               details=[{"field": "rule", "message": str(exc)}]) from None


def list_rules() -> list[FraudRule]:
    """The stored rules in evaluation order."""
    return list(FraudRule.select().order_by(FraudRule.position, FraudRule.created_at))


def effective_rules() -> list:
    """Parsed enabled rules in order: the stored ones, or DEFAULT_RULES when none is stored."""
    stored = list_rules()
    if not stored:
        return [(None, rule_lang.parse_rule(f"{a} if {c}")) for a, c, _ in DEFAULT_RULES]
    parsed = []
    for rule in stored:
        if rule.enabled:
            try:
                parsed.append((rule.id, rule_lang.parse_rule(f"{rule.action} if {rule.expression}")))
            except rule_lang.RuleError:  # validated on save; a grammar change must not stop scoring
                log.error("stored fraud rule %s no longer parses; skipped", rule.id)
    return parsed


def get_rule(rule_id: str) -> FraudRule:
    rule = FraudRule.get_or_none(FraudRule.id == rule_id)
    if rule is None:
        raise NotFound("Fraud rule not found", reason="fraud_rule_not_found")
    return rule


def create_rule(text: str, description: str = "", enabled: bool = True, position: int | None = None) -> FraudRule:
    """Validate and store a rule at `position` (0-based; default last). Raises ValidationFailed."""
    parsed = parse_rule_text(text)
    with atomic():
        rules = list_rules()
        index = len(rules) if position is None else max(0, min(position, len(rules)))
        rule = FraudRule.create(position=index, action=parsed.action, expression=parsed.expression,
                                description=description or "", enabled=enabled)
        rules.insert(index, rule)
        _renumber([r.id for r in rules])
    return get_rule(rule.id)


def update_rule(rule_id: str, text: str | None = None, description: str | None = None,
                enabled: bool | None = None) -> FraudRule:
    """Change a rule's text, description or enabled flag. Raises NotFound, ValidationFailed."""
    changes = {"updated_at": utcnow()}
    if text is not None:
        parsed = parse_rule_text(text)
        changes.update(action=parsed.action, expression=parsed.expression)
    if description is not None:
        changes["description"] = description
    if enabled is not None:
        changes["enabled"] = enabled
    with atomic():
        get_rule(rule_id)
        FraudRule.update(**changes).where(FraudRule.id == rule_id).execute()
    return get_rule(rule_id)


def delete_rule(rule_id: str) -> None:
    """Delete a rule and renumber the rest. Raises NotFound."""
    with atomic():
        get_rule(rule_id).delete_instance()
        _renumber([r.id for r in list_rules()])


def reorder_rules(rule_ids: list[str]) -> list[FraudRule]:
    """Set the evaluation order: `rule_ids` must list every stored rule exactly once.
    Raises ValidationFailed otherwise."""
    with atomic():
        current = {r.id for r in list_rules()}
        if len(rule_ids) != len(set(rule_ids)) or set(rule_ids) != current:
            raise ValidationFailed("ruleIds must list every rule exactly once", reason="invalid_rule_order",
                                   details=[{"field": "ruleIds", "message": "Give each rule id once"}])
        _renumber(rule_ids)
    return list_rules()


def _renumber(rule_ids: list[str]) -> None:
    for index, rule_id in enumerate(rule_ids):
        FraudRule.update(position=index).where(FraudRule.id == rule_id).execute()


def rule_to_dict(rule: FraudRule) -> dict:
    return {"id": rule.id, "position": rule.position, "action": rule.action, "condition": rule.expression,
            "rule": f"{rule.action} if {rule.expression}", "description": rule.description,
            "enabled": rule.enabled, "createdAt": isoformat(rule.created_at), "updatedAt": isoformat(rule.updated_at)}


# -- scoring -----------------------------------------------------------------------------------

_bundle_cache: dict[str, dict] = {}


def active_bundle():
    """(ModelVersion, bundle) of the active fraud model, or (None, None). Bundles are cached by id."""
    version = model_registry.active(KIND)
    if version is None:
        return None, None
    bundle = _bundle_cache.get(version.id)
    if bundle is None:
        bundle = model_registry.load(version, scoring.TRUSTED_TYPES)
        _bundle_cache.clear()
        _bundle_cache[version.id] = bundle
    return version, bundle


def assess(order_id: str) -> dict:
    """Score an order without storing anything: {"features", "probability", "riskScore",
    "riskLevel", "topFeatures", "decision", "ruleId", "rule", "modelVersionId"}."""
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
    from services import stripe_gateway

    card = stripe_gateway.card_fingerprint(payment.provider_ref)
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


def _void_or_refund(order: Order) -> str:
    """Give the money back for a cancelled order once; returns "voided", "refunded" or "none"."""
    payment = Payment.get_or_none(Payment.order == order.id)
    if payment is None or payment.provider != "stripe" or not payment.provider_ref:
        return "none"
    if payment.status in ("refunded", "canceled"):  # done by an earlier run
        return "refunded" if payment.status == "refunded" else "voided"
    from services import stripe_gateway

    outcome = stripe_gateway.void_or_refund(order.id, payment.provider_ref)
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


def run_fraud_score_job(job: Job, ctx) -> dict:
    """`fraud_score` job (payload {"orderId"}): score, store, apply. Result: the assessment's API dict.
    With {"orderId", "refundOnly": true} (a rejection whose refund failed) it only voids or refunds
    the cancelled order: {"orderId", "payment"}."""
    if job.payload.get("refundOnly"):
        order = Order.get_or_none(Order.id == job.payload["orderId"])
        if order is None:
            raise NotFound("Order not found", reason="order_not_found")
        if order.status != "cancelled":
            raise Conflict("Only a cancelled order is refunded", reason="order_not_cancelled")
        return {"orderId": order.id, "payment": _void_or_refund(order)}
    ctx.progress(0, 2, "scoring")
    assessment = score_order(job.payload["orderId"], job.id)
    ctx.progress(1, 2, f"decision {assessment.decision}")
    apply_decision(assessment)
    return assessment_to_dict(FraudAssessment.get_by_id(assessment.id))


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


# -- review queue and labels ---------------------------------------------------------------------

def review_queue(page: int, limit: int) -> tuple[list[tuple[Order, FraudAssessment]], int]:
    """Orders on hold awaiting a fraud review, oldest first: [(order, assessment)], total."""
    query = (FraudAssessment.select(FraudAssessment, Order).join(Order)
             .where(FraudAssessment.review_status == "pending", Order.status == "on_hold"))
    total = query.count()
    rows = query.order_by(FraudAssessment.created_at, FraudAssessment.id).paginate(page, limit)
    return [(row.order, row) for row in rows], total


def _pending_review(order_id: str) -> FraudAssessment:
    assessment = latest_assessment(order_id)
    if assessment.review_status != "pending":
        raise Conflict("This order is not awaiting a fraud review", reason="not_in_review")
    return assessment


def label_order(order_id: str, is_fraud: bool, source: str, reference: str | None = None) -> bool:
    """Store a training label once per (order, source). Returns True when it was new."""
    try:
        with atomic():
            FraudLabel.create(order=order_id, is_fraud=is_fraud, source=source, reference=reference)
        return True
    except peewee.IntegrityError:
        return False


def approve(order_id: str, admin: User) -> FraudAssessment:
    """Release a held order (on_hold -> confirmed/pending) and label it legitimate.
    Raises NotFound, Conflict (not awaiting review)."""
    with atomic():
        assessment = _pending_review(order_id)
        done = FraudAssessment.update(review_status="approved", reviewed_by=admin.id, reviewed_at=utcnow(),
                                      updated_at=utcnow()).where(FraudAssessment.id == assessment.id,
                                                                 FraudAssessment.review_status == "pending").execute()
        if not done:
            raise Conflict("This order is not awaiting a fraud review", reason="not_in_review")
        order_service.release_hold(order_id)
        label_order(order_id, False, "admin_approval", admin.id)
    return FraudAssessment.get_by_id(assessment.id)


def reject(order_id: str, admin: User) -> FraudAssessment:
    """Cancel a held order as fraud (stock released, payment voided or refunded) and label it fraud.
    Raises NotFound, Conflict (not awaiting review)."""
    with atomic():
        assessment = _pending_review(order_id)
        done = FraudAssessment.update(review_status="rejected", reviewed_by=admin.id, reviewed_at=utcnow(),
                                      updated_at=utcnow()).where(FraudAssessment.id == assessment.id,
                                                                 FraudAssessment.review_status == "pending").execute()
        if not done:
            raise Conflict("This order is not awaiting a fraud review", reason="not_in_review")
        order_service.cancel_for_fraud(order_id, "rejected in fraud review")
        label_order(order_id, True, "admin_rejection", admin.id)
    order = Order.get_by_id(order_id)
    try:
        payment = _void_or_refund(order)
    except Exception as exc:  # noqa: BLE001 - Stripe down or refusing: a retried job finishes it
        log.warning("refund of rejected order %s deferred to a job: %s", order_id, exc)
        with atomic():
            job = jobs.create_job("fraud_score", {"orderId": order_id, "refundOnly": True})
        payment = f"pending (job {job.id})"
    outcome = {**(assessment.outcome or {}), "review": "rejected", "order": "cancelled", "payment": payment}
    FraudAssessment.update(outcome=outcome).where(FraudAssessment.id == assessment.id).execute()
    return FraudAssessment.get_by_id(assessment.id)


def record_stripe_label(event_type: str, obj: dict, event_id: str) -> str | None:
    """Fraud label from a Stripe event: `charge.dispute.created` -> chargeback,
    `charge.refunded` -> refund (unless our own fraud block refunded it: no ground truth).
    `obj` is the event's data.object (Dispute or Charge). Returns the label source stored, or None."""
    intent_id = obj.get("payment_intent")
    if isinstance(intent_id, dict):
        intent_id = intent_id.get("id")
    payment = Payment.get_or_none(Payment.provider_ref == intent_id) if intent_id else None
    if payment is None:
        return None
    if event_type == "charge.dispute.created":
        return "chargeback" if label_order(payment.order_id, True, "chargeback", obj.get("id") or event_id) else None
    if event_type == "charge.refunded":
        blocked = FraudAssessment.select().where(FraudAssessment.order == payment.order_id,
                                                 FraudAssessment.decision == "block").exists()
        if blocked:
            return None
        return "refund" if label_order(payment.order_id, True, "refund", obj.get("id") or event_id) else None
    return None


# -- training ----------------------------------------------------------------------------------

def start_training(admin: User, params: dict) -> Job:
    """Write a `fraud_train` job (call in a transaction). `params`: min_age_days, auto_activate
    and HistGradientBoosting overrides (learning_rate, max_iter, max_leaf_nodes, min_samples_leaf,
    l2_regularization)."""
    return jobs.create_job("fraud_train", {"params": params}, owner_id=admin.id, total=4)


def training_set(min_age_days: int = 0, now: dt.datetime | None = None) -> dict:
    """The labelled orders: {"order_ids", "rows" (feature dicts), "y", "times"}.

    y = 1 when the order has a fraud label (chargeback, refund, admin rejection).
    Orders younger than `min_age_days` (their chargebacks may not have arrived), orders still in
    review and orders blocked automatically without a label (no ground truth) are left out.
    """
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=min_age_days)
    fraud_ids = {r.order_id for r in FraudLabel.select(FraudLabel.order).where(FraudLabel.is_fraud == True)}  # noqa: E712
    labelled = {r.order_id for r in FraudLabel.select(FraudLabel.order)}
    blocked = {r.order_id for r in FraudAssessment.select(FraudAssessment.order)
               .where(FraudAssessment.decision == "block")}
    pending = {r.order_id for r in FraudAssessment.select(FraudAssessment.order)
               .where(FraudAssessment.review_status == "pending")}
    ids = [o.id for o in Order.select(Order.id).where(Order.created_at <= cutoff).order_by(Order.created_at, Order.id)
           if not ((o.id in blocked and o.id not in labelled) or (o.id in pending and o.id not in labelled))]
    rows = features_for_training(ids)
    facts = {f.order_id: f for f in order_facts(ids)} if ids else {}
    attributes = [{**row, "risk_score": None, "probability": None, "risk_level": "not_assessed",
                   "payment_method": facts[i].payment_method, "email_domain": facts[i].email_domain,
                   "ip_country": facts[i].ip_country, "shipping_country": facts[i].shipping_country,
                   "billing_country": facts[i].billing_country} for i, row in zip(ids, rows)]
    return {"order_ids": ids, "rows": rows, "attributes": attributes,
            "y": np.array([1 if i in fraud_ids else 0 for i in ids], dtype=int),
            "times": np.array([facts[i].created_at.replace(tzinfo=dt.timezone.utc).timestamp() for i in ids])}


def rules_only_scores(attributes: list[dict]) -> np.ndarray:
    """The rules-only scorer (no model): 1.0 block, 0.5 review, 0.0 allow under the effective rules."""
    severity = {"allow": 0.0, "review": 0.5, "block": 1.0}
    parsed = [rule for _, rule in effective_rules()]
    return np.array([severity[rule_lang.decide(parsed, a)[0]] for a in attributes])


HGB_PARAMS = ("learning_rate", "max_iter", "max_leaf_nodes", "min_samples_leaf", "l2_regularization")


def run_fraud_train_job(job: Job, ctx) -> dict:
    """`fraud_train` job: build the labelled set, train (ml.fraud.train), register the model and
    activate it unless the active model scores a higher average precision on the same test slice
    (then the new one is `rejected`; both numbers are recorded). Result: {"modelVersionId",
    "version", "status", "metrics", "activeAveragePrecision"}. Raises ValidationFailed when the
    data cannot train a model (no retry)."""
    params = dict(job.payload.get("params") or {})
    ctx.progress(0, 4, "building the labelled training set")
    data = training_set(int(params.get("min_age_days", 0)))
    if len(data["order_ids"]) < 50:
        raise ValidationFailed(f"Only {len(data['order_ids'])} orders to learn from (at least 50 needed)",
                               reason="not_enough_training_data")
    x = feature_matrix(data["rows"], FEATURES)
    ctx.progress(1, 4, f"training on {len(data['order_ids'])} orders ({int(data['y'].sum())} fraud)")
    overrides = {k: params[k] for k in HGB_PARAMS if params.get(k) is not None}
    try:
        trained = fraud_train.train(x, data["y"], data["times"], overrides)
    except fraud_train.TrainingDataError as exc:
        raise ValidationFailed(str(exc), reason="not_enough_training_data") from None
    metrics = trained["metrics"]
    train_idx, _, test_idx = trained["split"]
    metrics["rules_only_test"] = fraud_train.evaluate(
        data["y"][test_idx], rules_only_scores([data["attributes"][i] for i in test_idx]))
    ctx.progress(2, 4, "comparing with the active model")
    active_version, active_bundle_ = _comparable_active()
    active_ap = None
    if active_bundle_ is not None:
        active_scores = active_bundle_["model"].predict_proba(
            feature_matrix([data["rows"][i] for i in test_idx], active_bundle_["features"]))[:, 1]
        active_ap = fraud_train.evaluate(data["y"][test_idx], active_scores)["average_precision"]
        metrics["active_on_same_test_slice"] = {"modelVersionId": active_version.id, "version": active_version.version,
                                                "average_precision": active_ap}
    times = [dt.datetime.fromtimestamp(t, dt.timezone.utc).replace(tzinfo=None) for t in data["times"]]
    metrics["labels"] = {"orders": len(data["order_ids"]), "fraud": int(data["y"].sum())}
    window = {"from": isoformat(min(times)), "to": isoformat(max(times))}
    ctx.progress(3, 4, "registering the model")
    version = model_registry.register(
        KIND, scoring.make_bundle(trained["model"], FEATURES, x[train_idx]), metrics, FEATURES, window,
        {"hist_gradient_boosting": {**fraud_train.DEFAULT_PARAMS, **overrides}, "calibration": "sigmoid",
         "split": list(fraud_train.SPLIT), "min_age_days": int(params.get("min_age_days", 0))},
        trusted=scoring.TRUSTED_TYPES)
    new_ap = metrics["test"]["average_precision"]
    if active_ap is not None and new_ap < active_ap:
        version = model_registry.reject(version.id, f"average precision {new_ap} on the test slice is below the "
                                                    f"active v{active_version.version}'s {active_ap}")
    elif params.get("auto_activate", True):
        version = model_registry.activate(version.id, note=f"activated after training (AP {new_ap}"
                                                           + (f" vs active {active_ap})" if active_ap is not None else ")"))
    return {"modelVersionId": version.id, "version": version.version, "status": version.status,
            "metrics": metrics, "activeAveragePrecision": active_ap}


def _comparable_active():
    """The active model if its features can all be computed today, else (None, None)."""
    try:
        version, bundle = active_bundle()
    except model_registry.ArtifactRejected:
        log.exception("the active fraud model cannot be loaded; training continues without comparison")
        return None, None
    if bundle is None or not set(bundle["features"]) <= set(FEATURES):
        return None, None
    return version, bundle


# -- demo history ------------------------------------------------------------------------------

def generate_demo_history(customers: int = 400, days: int = 120, seed: int = 0) -> dict:
    """Write ml.fraud.synthetic's SYNTHETIC labelled history (users, orders with one item and a
    payment, fraud labels, signals). Users get an unusable password; order numbers start with
    `SYN-`. Returns {"users", "orders", "fraud"} counts. Run it on demo databases only."""
    from ml.fraud import synthetic
    from models.db import new_id

    data = synthetic.generate(customers, days, seed)
    user_ids = {}
    with atomic():
        existing = {u.email: u.id for u in User.select(User.id, User.email)
                    .where(User.email.in_([u["email"] for u in data["users"]]))}
        new_users = []
        for u in data["users"]:
            user_ids[u["key"]] = existing.get(u["email"]) or new_id("usr")
            if u["email"] not in existing:
                new_users.append({"id": user_ids[u["key"]], "email": u["email"], "password_hash": "!synthetic",
                                  "first_name": "Synthetic", "last_name": "Customer", "created_at": u["created_at"],
                                  "updated_at": u["created_at"]})
        for start in range(0, len(new_users), 500):
            User.insert_many(new_users[start:start + 500]).execute()
    orders_rows, items, payments, labels, signal_rows = [], [], [], [], []
    for row in data["orders"]:
        order_id = new_id("ord")
        status = "cancelled" if row["payment_failed"] else "delivered"
        pay = "failed" if row["payment_failed"] else ("paid" if row["payment_method"] == "stripe" else "pending")
        order = Order(id=order_id, order_number=f"SYN-{seed}-{new_id('n')[2:14]}",
                      customer=user_ids.get(row["user_key"]), customer_email=row["email"], status=status,
                      payment_status=pay, payment_method=row["payment_method"], subtotal=row["amount"], tax=0,
                      shipping=0, discount=0, total=row["amount"], currency="USD",
                      shipping_address=row["shipping_address"], billing_address=row["billing_address"],
                      shipping_method={"id": "standard", "name": "Standard", "price": 0},
                      notes="SYNTHETIC demo history (ml.fraud.synthetic)", stock_released=True,
                      client_ip=row["client_ip"], created_at=row["created_at"], updated_at=row["created_at"])
        orders_rows.append(order.__data__)
        items.append({"id": new_id("oi"), "order": order_id, "product_id": "synthetic", "variant_id": "synthetic",
                      "quantity": row["quantity"], "unit_price": row["amount"] // row["quantity"],
                      "total_price": row["amount"], "product_snapshot": {"name": "Synthetic item"}})
        payments.append({"id": new_id("pay"), "order": order_id, "provider": row["payment_method"],
                         "status": "failed" if row["payment_failed"] else "succeeded", "amount": row["amount"],
                         "currency": "USD", "card_fingerprint": row["card_fingerprint"],
                         "created_at": row["created_at"], "updated_at": row["created_at"]})
        signal_rows.append(_signal_row(order, row["card_fingerprint"]))
        if row["is_fraud"] and row["label_source"]:
            labels.append({"id": new_id("frl"), "order": order_id, "is_fraud": True, "source": row["label_source"],
                            "reference": "synthetic", "created_at": row["created_at"]})
    for model, rows in ((Order, orders_rows), (OrderItem, items), (Payment, payments), (FraudSignal, signal_rows),
                        (FraudLabel, labels)):
        for start in range(0, len(rows), 500):
            with atomic():
                model.insert_many(rows[start:start + 500]).execute()
    return {"users": len(data["users"]), "orders": len(orders_rows), "fraud": len(labels)}
