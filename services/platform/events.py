"""Domain events: each becomes an `event_fanout` job whose handlers are registered by the
packages that react to it.

Call `emit` inside the transaction of the change that causes the event (the
job row commits or rolls back with it). The request or job that called it
dispatches the job after commit; the outbox relay covers a crash in between.

A package that reacts to events registers a handler at import time with
`subscribe(event_types, handler)`; `run_event_job` (the `event_fanout` job)
calls every handler registered for the job's event, in registration order,
as `handler(job, ctx) -> dict` and merges their results. Handlers must be
idempotent: a retried or re-delivered job runs them again. An event with no
handler in the running process fails the job (retried, then listed for
admins), so a worker that forgot to import a package cannot drop events
silently. This module imports no domain package.
"""

from __future__ import annotations

from typing import Callable, Iterable

from models.jobs import Job
from services.platform import jobs

EVENT_TYPES = (
    "order.placed", "order.paid", "order.shipped", "order.delivered", "order.cancelled", "order.message",
    "payment.failed", "dispute.opened",
    "stock.low", "stock.back_in_stock", "purchase_order.created", "wishlist.price_drop", "wishlist.back_in_stock", "loyalty.points_reminder", "cart.abandoned",
    "account.verify_email", "account.password_reset", "account.password_changed", "account.otp",
)

Handler = Callable[[Job, object], dict]
_handlers: dict[str, list[Handler]] = {}


class NoEventHandler(RuntimeError):
    """No handler is registered for an event in this process (a deployment error: retried)."""


def subscribe(event_types: Iterable[str], handler: Handler) -> None:
    """Register `handler(job, ctx) -> dict` for each of `event_types` (idempotent per handler).
    Raises ValueError for an unknown event type."""
    for event_type in event_types:
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event_type!r}")
        registered = _handlers.setdefault(event_type, [])
        if handler not in registered:
            registered.append(handler)


def handlers_for(event_type: str) -> list[Handler]:
    """The handlers registered for `event_type`, in registration order."""
    return list(_handlers.get(event_type, ()))


def event_job(event_type: str, subject_id: str, data: dict | None = None,
              parent_id: str | None = None) -> jobs.JobSpec:
    """The `event_fanout` job recording `event_type` about `subject_id`, to write together with
    other jobs (`jobs.create_jobs`: one INSERT). Raises ValueError for an unknown event type."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    return jobs.JobSpec("event_fanout", {"event": event_type, "subjectId": subject_id, "data": data or {}},
                        parent_id=parent_id)


def emit(event_type: str, subject_id: str, data: dict | None = None, parent_id: str | None = None) -> Job:
    """Record `event_type` about `subject_id` (an order, variant, user... id) with `data`.

    Returns the `event_fanout` job. Raises ValueError for an unknown event type.
    """
    return jobs.create_jobs([event_job(event_type, subject_id, data, parent_id)])[0]


def run_event_job(job: Job, ctx) -> dict:
    """`event_fanout` job handler: run every handler registered for the job's event and merge
    their result dicts. Raises NoEventHandler when none is registered in this process."""
    event_type = (job.payload or {}).get("event")
    handlers = handlers_for(event_type)
    if not handlers:
        raise NoEventHandler(f"no handler for event {event_type!r} in this process")
    result: dict = {}
    for handler in handlers:
        result.update(handler(job, ctx) or {})
    return result
