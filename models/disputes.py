"""Stripe disputes (chargebacks) of orders' payments (migration 0034)."""

import peewee

from models.db import BaseModel, PrefixedIdField, utcnow
from models.orders import Order, Payment

DISPUTE_STATUSES = ("warning_needs_response", "warning_under_review", "warning_closed", "needs_response",
                    "under_review", "won", "lost", "charge_refunded")  # Stripe's Dispute.status
CLOSED_DISPUTE_STATUSES = ("warning_closed", "won", "lost", "charge_refunded")
DISPUTE_REASONS = ("bank_cannot_process", "check_returned", "credit_not_processed", "customer_initiated",
                   "debit_not_authorized", "duplicate", "fraudulent", "general", "incorrect_account_details",
                   "insufficient_funds", "noncompliant", "product_not_received", "product_unacceptable",
                   "subscription_canceled", "unrecognized")  # Stripe's Dispute.reason
HOLD_STATES = ("none", "held", "released")


class Dispute(BaseModel):
    """A Stripe dispute of an order's payment, as Stripe last described it.

    `stripe_id` is Stripe's dispute id (`dp_...`, unique); `amount` is in minor units of
    `currency` (ISO 4217, upper case); `reason` and `status` are Stripe's (DISPUTE_REASONS,
    DISPUTE_STATUSES; stored as sent, so a value Stripe adds later is kept too);
    `evidence_due_by` is when Stripe needs our evidence (naive UTC, null: none asked);
    `stripe_created` is the dispute's creation time at Stripe; `closed_at` is when we first saw
    it in a closed status. `hold` is `held` while the dispute keeps the order on hold
    (services.orders.disputes), `released` once staff released it, `none` when it never held
    the order (shipped, delivered or cancelled when it arrived). `funds_withdrawn` is True
    while Stripe holds the disputed amount (`charge.dispute.funds_withdrawn`, false again after
    `funds_reinstated`)."""

    id = PrefixedIdField("dsp")
    stripe_id = peewee.CharField(max_length=100, unique=True)
    order = peewee.ForeignKeyField(Order, backref="disputes", on_delete="CASCADE")
    payment = peewee.ForeignKeyField(Payment, backref="disputes", on_delete="CASCADE")
    amount = peewee.IntegerField()
    currency = peewee.CharField(max_length=3)
    reason = peewee.CharField(max_length=40)
    status = peewee.CharField(max_length=40, index=True)
    evidence_due_by = peewee.DateTimeField(null=True)
    stripe_created = peewee.DateTimeField(null=True)
    hold = peewee.CharField(max_length=16, default="none")
    funds_withdrawn = peewee.BooleanField(default=False)
    closed_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    updated_at = peewee.DateTimeField(default=utcnow)
