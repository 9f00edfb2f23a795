"""Fraud training labels: chargebacks (`charge.dispute.created`), refunds (`charge.refunded`)
and admin review decisions; see `record_stripe_label` and `label_order`.

The label handler is one of the handlers of `charge.dispute.created` (services.payments runs
every handler registered for a type): services.orders records the dispute itself and holds
the order, this module only stores the training label, whatever the dispute becomes.
"""

from __future__ import annotations

import peewee

from models.db import atomic
from models.fraud import FraudAssessment, FraudLabel
from models.orders import Order
from services import payments


def label_order(order_id: str, is_fraud: bool, source: str, reference: str | None = None) -> bool:
    """Store a training label once per (order, source). Returns True when it was new."""
    try:
        with atomic():
            FraudLabel.create(order=order_id, is_fraud=is_fraud, source=source, reference=reference)
        return True
    except peewee.IntegrityError:
        return False


def record_stripe_label(event_type: str, obj: dict, event_id: str) -> str | None:
    """Fraud label from a Stripe event: `charge.dispute.created` -> chargeback,
    `charge.refunded` -> refund (unless we refunded it ourselves, cancelling the order or
    blocking it as fraud: no ground truth).
    `obj` is the event's data.object (Dispute or Charge). Returns the label source stored, or None."""
    payment = payments.payment_of(obj)
    if payment is None:
        return None
    if event_type == "charge.dispute.created":
        return "chargeback" if label_order(payment.order_id, True, "chargeback", obj.get("id") or event_id) else None
    if event_type == "charge.refunded":
        blocked = FraudAssessment.select().where(FraudAssessment.order == payment.order_id,
                                                 FraudAssessment.decision == "block").exists()
        cancelled = Order.select().where(Order.id == payment.order_id, Order.status == "cancelled").exists()
        if blocked or cancelled:  # our own refund of a cancelled order says nothing about fraud
            return None
        return "refund" if label_order(payment.order_id, True, "refund", obj.get("id") or event_id) else None
    return None


def handle_stripe_label_event(event_type: str, obj: dict, event_id: str) -> dict:
    """`stripe_event` handler for disputes and refunds: store the fraud label (if any).
    Returns `{"outcome": "recorded", "fraudLabel": source | None}`."""
    return {"outcome": "recorded", "fraudLabel": record_stripe_label(event_type, obj, event_id)}


payments.on_stripe_event(("charge.dispute.created", "charge.refunded"), handle_stripe_label_event)
