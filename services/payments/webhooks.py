"""Stripe webhook events: stored once (the event id is the primary key) with a
`stripe_event` job, which hands the event to the handler registered for its type.

The packages that react register handlers at import time with
`on_stripe_event(types, handler)`: `services.orders` for `payment_intent.*`
(sync the order), `services.fraud` for disputes and refunds (training labels).
A handled type with no handler in the running process fails the job (retried,
then listed for admins) rather than dropping the event.
"""

from __future__ import annotations

from typing import Callable, Iterable

import peewee

from models.db import atomic
from models.jobs import Job
from models.orders import StripeEvent
from services.platform import jobs

PAYMENT_INTENT_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled",
                         "payment_intent.processing")
HANDLED_EVENTS = PAYMENT_INTENT_EVENTS + ("charge.dispute.created", "charge.refunded")

StripeHandler = Callable[[str, dict, str], dict]
_handlers: dict[str, StripeHandler] = {}


class NoStripeHandler(RuntimeError):
    """No handler is registered for a handled Stripe event type in this process (retried)."""


def on_stripe_event(event_types: Iterable[str], handler: StripeHandler) -> None:
    """Register `handler(event_type, data_object, event_id) -> dict` for `event_types` (each one
    of HANDLED_EVENTS; one handler per type). Raises ValueError otherwise."""
    for event_type in event_types:
        if event_type not in HANDLED_EVENTS:
            raise ValueError(f"Stripe event type {event_type!r} is not handled")
        _handlers[event_type] = handler


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
    """`stripe_event` job: hand the stored event's `data.object` to the handler registered for
    its type. Result: `{"eventId", "type", ...the handler's result}`. Raises NoStripeHandler."""
    event = StripeEvent.get_by_id(job.payload["eventId"])
    obj = event.payload.get("data", {}).get("object", {})
    handler = _handlers.get(event.type)
    if handler is None:
        raise NoStripeHandler(f"no handler for Stripe event {event.type!r} in this process")
    return {"eventId": event.id, "type": event.type, **handler(event.type, obj, event.id)}
