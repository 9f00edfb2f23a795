"""Stripe webhook events: stored once (the event id is the primary key) with a
`stripe_event` job, which hands the event to every handler registered for its type.

The packages that react register handlers at import time with
`on_stripe_event(types, handler)`: `services.orders` for `payment_intent.*` (sync the
order) and `charge.dispute.*` (record the dispute, hold the order, tell staff:
services.orders.disputes), `services.fraud` for `charge.dispute.created` and
`charge.refunded` (training labels). A type may have several handlers: they run in
registration order and their result dicts are merged; each must be idempotent, since a
retried job runs them all again. A handled type with no handler in the running process
fails the job (retried, then listed for admins) rather than dropping the event.

Every other event type is acknowledged (2xx, `{"ignored": true}`) and dropped without a
row or a job: in particular Stripe Billing's `customer.subscription.*` and `invoice.*`
(Cartwheel sells no subscriptions; an account that also uses Billing may send them to
this endpoint), and Stripe stops retrying an event once it is acknowledged.
"""

from __future__ import annotations

from typing import Callable, Iterable

import peewee

from models.db import atomic
from models.jobs import Job
from models.orders import Payment, StripeEvent
from services.platform import jobs

PAYMENT_INTENT_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled",
                         "payment_intent.processing")
DISPUTE_EVENTS = ("charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed",
                  "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated")
REFUND_EVENTS = ("charge.refund.updated",)  # a pending refund settling (services.orders.refunds)
HANDLED_EVENTS = PAYMENT_INTENT_EVENTS + DISPUTE_EVENTS + REFUND_EVENTS + ("charge.refunded",)

StripeHandler = Callable[[str, dict, str], dict]
_handlers: dict[str, list[StripeHandler]] = {}


class NoStripeHandler(RuntimeError):
    """No handler is registered for a handled Stripe event type in this process (retried)."""


def on_stripe_event(event_types: Iterable[str], handler: StripeHandler) -> None:
    """Register `handler(event_type, data_object, event_id) -> dict` for `event_types` (each one
    of HANDLED_EVENTS; registering the same handler twice is a no-op). Raises ValueError otherwise."""
    for event_type in event_types:
        if event_type not in HANDLED_EVENTS:
            raise ValueError(f"Stripe event type {event_type!r} is not handled")
        registered = _handlers.setdefault(event_type, [])
        if handler not in registered:
            registered.append(handler)


def _id_of(value) -> str | None:
    return value.get("id") if isinstance(value, dict) else value if isinstance(value, str) else None


def payment_of(obj: dict) -> Payment | None:
    """The Payment a Stripe object (a Dispute or a Charge: an event's `data.object`) is about,
    found by its PaymentIntent (`Payment.provider_ref`): its `payment_intent` (an id or an
    expanded object), else its expanded `charge`'s. None when neither names one of ours (a
    charge made outside Cartwheel, or a charge given only by its id without a PaymentIntent)."""
    intent_id = _id_of(obj.get("payment_intent"))
    if intent_id is None and isinstance(obj.get("charge"), dict):
        intent_id = _id_of(obj["charge"].get("payment_intent"))
    return Payment.get_or_none(Payment.provider_ref == intent_id) if intent_id else None


def record_stripe_event(event: dict) -> Job | None:
    """Store a verified event and its `stripe_event` job in one transaction.

    Returns the job, or None for a duplicate delivery or an event type Cartwheel ignores.
    """
    if event.get("type") not in HANDLED_EVENTS:
        return None
    try:
        with atomic():
            job = jobs.create_job("stripe_event", {"eventId": event["id"], "type": event["type"]})
            StripeEvent.create(id=event["id"], type=event["type"], payload=event, job_id=job.id)
        return job
    except peewee.IntegrityError:
        return None


def run_stripe_event_job(job: Job, ctx) -> dict:
    """`stripe_event` job: hand the stored event's `data.object` to every handler registered for
    its type, in registration order. Result: `{"eventId", "type", ...the handlers' merged
    results}`. Raises NoStripeHandler when none is registered in this process."""
    event = StripeEvent.get_by_id(job.payload["eventId"])
    obj = event.payload.get("data", {}).get("object", {})
    handlers = _handlers.get(event.type)
    if not handlers:
        raise NoStripeHandler(f"no handler for Stripe event {event.type!r} in this process")
    result: dict = {}
    for handler in handlers:
        result.update(handler(event.type, obj, event.id) or {})
    return {"eventId": event.id, "type": event.type, **result}
