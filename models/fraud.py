"""Fraud scoring tables (issue 3): rules, assessments, labels and per-order signals.

- `FraudRule`: an admin-editable, ordered rule in Radar-like syntax
  (`block if risk_score >= 75`); evaluated by ascending `position`, the first
  enabled match decides.
- `FraudAssessment`: one scoring of an order by a `fraud_score` job
  (probability, riskScore 0-99, riskLevel, decision, matched rule, model
  version, features and their top contributions) and its manual review.
- `FraudLabel`: ground truth for training: chargebacks, refunds and admin
  rejections are fraud; admin approvals are explicit non-fraud.
- `FraudSignal`: the normalised keys of an order used for velocity features
  (email, IP, card fingerprint, shipping-address key, countries), indexed by
  key and time so velocity counts are index range scans.
"""

import peewee

from models.db import BaseModel, JSONField, PrefixedIdField, utcnow
from models.orders import Order

RULE_ACTIONS = ("allow", "review", "block")
RISK_LEVELS = ("normal", "elevated", "highest", "not_assessed")
DECISIONS = ("allow", "review", "block")
LABEL_SOURCES = ("chargeback", "refund", "admin_rejection", "admin_approval", "synthetic")
REVIEW_STATUSES = ("pending", "approved", "rejected")


class FraudRule(BaseModel):
    """An ordered decision rule. `expression` is the condition after `if` (normalised text)."""

    id = PrefixedIdField("frr")
    position = peewee.IntegerField(index=True)
    action = peewee.CharField(max_length=8)
    expression = peewee.TextField()
    description = peewee.CharField(max_length=500, default="")
    enabled = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)


class FraudAssessment(BaseModel):
    """One scoring of an order.

    - `probability`: calibrated P(fraud) in [0, 1] from the active model (None
      when not assessed); `risk_score` = floor(99 * probability) in 0..99.
    - `features`: {name: value} computed for the order (None = unknown);
      `top_features`: [{"feature", "value", "contribution"}], largest first.
    - `outcome`: what applying the decision did, e.g. {"order": "on_hold"} or
      {"order": "cancelled", "stockReleased": true, "payment": "refunded"}.
    - `review_status`: pending while an admin must decide a `review`.
    """

    id = PrefixedIdField("fra")
    order = peewee.ForeignKeyField(Order, backref="fraud_assessments", on_delete="CASCADE", index=True)
    job_id = peewee.CharField(max_length=40, null=True, unique=True)
    model_version_id = peewee.CharField(max_length=40, null=True)
    probability = peewee.FloatField(null=True)
    risk_score = peewee.IntegerField(null=True)
    risk_level = peewee.CharField(max_length=16)
    decision = peewee.CharField(max_length=8)
    rule_id = peewee.CharField(max_length=40, null=True)
    rule = peewee.TextField(null=True)
    features = JSONField(default=dict)
    top_features = JSONField(default=list)
    schema_hash = peewee.CharField(max_length=64, null=True)
    outcome = JSONField(default=dict)
    review_status = peewee.CharField(max_length=16, null=True, index=True)
    reviewed_by = peewee.CharField(max_length=40, null=True)
    reviewed_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    updated_at = peewee.DateTimeField(default=utcnow)


class FraudLabel(BaseModel):
    """A training label for an order; one per (order, source). `is_fraud` False only for approvals."""

    id = PrefixedIdField("frl")
    order = peewee.ForeignKeyField(Order, backref="fraud_labels", on_delete="CASCADE")
    is_fraud = peewee.BooleanField()
    source = peewee.CharField(max_length=20)
    reference = peewee.CharField(max_length=255, null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("order", "source"), True),)


class FraudSignal(BaseModel):
    """The order's normalised keys (written once per order, before its features are computed).

    `email` lower-cased; `shipping_key` sha256 of the normalised shipping
    address (street, building, apartment, city, postal code, country);
    countries ISO 3166-1 alpha-2 (`ip_country` None when unknown).
    `created_at` copies the order's, so windows are relative to order time.
    """

    order = peewee.ForeignKeyField(Order, primary_key=True, on_delete="CASCADE", backref="fraud_signal")
    created_at = peewee.DateTimeField()
    customer_id = peewee.CharField(max_length=40, null=True)
    email = peewee.CharField(max_length=254)
    email_domain = peewee.CharField(max_length=254)
    client_ip = peewee.CharField(max_length=64, null=True)
    ip_country = peewee.CharField(max_length=2, null=True)
    card_fingerprint = peewee.CharField(max_length=128, null=True)
    shipping_key = peewee.CharField(max_length=64)
    shipping_country = peewee.CharField(max_length=2, null=True)
    billing_country = peewee.CharField(max_length=2, null=True)

    class Meta:
        indexes = (
            (("email", "created_at"), False),
            (("client_ip", "created_at"), False),
            (("card_fingerprint", "created_at"), False),
            (("shipping_key", "created_at"), False),
            (("customer_id", "created_at"), False),
        )
