"""Domain events: each becomes an `event_fanout` job on the notifications queue.

Call `emit` inside the transaction of the change that causes the event (the
job row commits or rolls back with it). The request or job that called it
dispatches the job after commit; the outbox relay covers a crash in between.
The fan-out handler (services.notifications) turns the event into one
Notification per recipient and channel.
"""

from __future__ import annotations

from models.jobs import Job
from services import jobs

EVENT_TYPES = (
    "order.placed", "order.paid", "order.shipped", "order.delivered", "order.cancelled", "payment.failed",
    "stock.low", "wishlist.price_drop", "wishlist.back_in_stock", "loyalty.points_reminder", "cart.abandoned",
)


def emit(event_type: str, subject_id: str, data: dict | None = None, parent_id: str | None = None) -> Job:
    """Record `event_type` about `subject_id` (an order, variant, user... id) with `data`.

    Returns the `event_fanout` job. Raises ValueError for an unknown event type.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    return jobs.create_job("event_fanout", {"event": event_type, "subjectId": subject_id, "data": data or {}},
                           parent_id=parent_id)
