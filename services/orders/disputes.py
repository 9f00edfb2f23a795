"""Stripe disputes (chargebacks) of orders' payments: recorded from `charge.dispute.*` webhook
events, holding the order's fulfilment, telling staff, read by staff.

Events (the `stripe_event` job hands each event's Dispute object to `handle_dispute_event`):
- every `charge.dispute.*` event upserts the `Dispute` row on Stripe's dispute id with what the
  object says (amount in minor units, currency, reason, status, evidence due by). Deliveries
  may repeat or come out of order, so a status only moves forward by `STATUS_RANK` (open ->
  under review -> closed): a late `created` (needs_response) never takes an `under_review` or
  `won` dispute back; within a rank the latest delivery wins;
- the first delivery that records the dispute (whichever type it is) holds the order if it
  has not shipped yet (pending | confirmed | processing -> on_hold, timeline `on_hold` with
  reason `dispute`; an order already on hold for a fraud review is held by the dispute too)
  and emits `dispute.opened` (services.notifications: every active staff member and admin,
  email and in-app). A dispute first seen closed holds nothing. A shipped, delivered or
  cancelled order is recorded with `hold: none`;
- a dispute that closes (won, lost, warning_closed, charge_refunded) is noted once on the
  order's timeline (`dispute_closed` with `{"disputeId", "outcome"}`); the hold stays: staff
  decide (`release_dispute_hold`: ship it after a won dispute, or cancel the order).
  A lost dispute is recorded on the dispute only: the order's payment status is left as it
  is (it drives refunds and loyalty; Stripe already took the money back and refuses to
  refund a disputed charge);
- `charge.dispute.funds_withdrawn` / `funds_reinstated` set `funds_withdrawn`;
- a dispute whose PaymentIntent is not one of ours (a charge made outside Cartwheel) is
  acknowledged and not recorded (job result `disputeOutcome: payment_not_found`).
The fraud chargeback label is services.fraud's handler of `charge.dispute.created`.
"""

from __future__ import annotations

import datetime as dt

import peewee

from models.db import atomic, isoformat, utcnow
from models.disputes import CLOSED_DISPUTE_STATUSES, Dispute
from models.orders import Order
from models.users import User
from services import payments
from services.errors import Conflict, NotFound
from services.orders import timeline, transitions
from services.platform import events

STATUS_RANK = {"warning_needs_response": 0, "needs_response": 0, "warning_under_review": 1, "under_review": 1}
"""Stripe dispute status -> how far along it is; every closed status is 2, an unknown one 1."""


def _rank(status: str) -> int:
    return 2 if status in CLOSED_DISPUTE_STATUSES else STATUS_RANK.get(status, 1)


def _time(seconds) -> dt.datetime | None:
    """A Stripe Unix timestamp (seconds) as a naive UTC datetime."""
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        return None
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).replace(tzinfo=None)


def _fields(obj: dict) -> dict:
    """The Dispute columns a Stripe Dispute object gives."""
    return {"amount": int(obj.get("amount") or 0), "currency": str(obj.get("currency") or "").upper()[:3],
            "reason": str(obj.get("reason") or "general")[:40],
            "status": str(obj.get("status") or "needs_response")[:40],
            "evidence_due_by": _time((obj.get("evidence_details") or {}).get("due_by")),
            "stripe_created": _time(obj.get("created"))}


def _open(stripe_id: str, payment, fields: dict) -> tuple[Dispute, bool]:
    """Insert the dispute (hold the order, emit `dispute.opened`) or find it; (dispute, created)."""
    try:
        with atomic():
            dispute = Dispute.create(stripe_id=stripe_id, order=payment.order_id, payment=payment.id, **fields)
            if fields["status"] not in CLOSED_DISPUTE_STATUSES:
                held = transitions.hold_for_dispute(payment.order_id, dispute.id) or \
                    Order.select().where(Order.id == payment.order_id, Order.status == "on_hold").exists()
                if held:
                    Dispute.update(hold="held").where(Dispute.id == dispute.id).execute()
                events.emit("dispute.opened", dispute.id, {"orderId": payment.order_id, "held": held})
        return dispute, True
    except peewee.IntegrityError:  # recorded meanwhile by another delivery
        return Dispute.get(Dispute.stripe_id == stripe_id), False


def record_dispute(event_type: str, obj: dict) -> tuple[Dispute | None, str]:
    """Apply one `charge.dispute.*` event's Dispute object (see the module docstring). Returns
    (the dispute or None, outcome): `recorded` (new), `updated`, `unchanged` (an older status
    than the stored one) or `payment_not_found`."""
    payment = payments.payment_of(obj)
    if payment is None or not obj.get("id"):
        return None, "payment_not_found"
    fields = _fields(obj)
    if event_type in ("charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated"):
        fields["funds_withdrawn"] = event_type == "charge.dispute.funds_withdrawn"
    with atomic():
        dispute = Dispute.get_or_none(Dispute.stripe_id == obj["id"])
        created = False
        if dispute is None:
            dispute, created = _open(obj["id"], payment, fields)
        outcome = "recorded" if created else "unchanged"
        if not created:
            later = [s for s in (*STATUS_RANK, *CLOSED_DISPUTE_STATUSES) if _rank(s) > _rank(fields["status"])]
            if Dispute.update(**fields, updated_at=utcnow()).where(Dispute.id == dispute.id,
                                                                  Dispute.status.not_in(later)).execute():
                outcome = "updated"
        if fields["status"] in CLOSED_DISPUTE_STATUSES and Dispute.update(closed_at=utcnow()).where(
                Dispute.id == dispute.id, Dispute.closed_at.is_null(), Dispute.status == fields["status"]).execute():
            timeline.record_event(payment.order_id, "dispute_closed", disputeId=dispute.id, outcome=fields["status"])
    return Dispute.get_by_id(dispute.id), outcome


def handle_dispute_event(event_type: str, obj: dict, event_id: str) -> dict:
    """`stripe_event` handler for `charge.dispute.*`. Returns `{"disputeId": "dsp_..." | None,
    "disputeStatus": Stripe's | None, "disputeOutcome": recorded | updated | unchanged |
    payment_not_found}`."""
    dispute, outcome = record_dispute(event_type, obj)
    return {"disputeId": dispute.id if dispute else None, "disputeStatus": dispute.status if dispute else None,
            "disputeOutcome": outcome}


def get_dispute(dispute_id: str) -> Dispute:
    """The dispute `dsp_...`. Raises NotFound (`dispute_not_found`)."""
    dispute = Dispute.get_or_none(Dispute.id == dispute_id)
    if dispute is None:
        raise NotFound("Dispute not found", reason="dispute_not_found")
    return dispute


def list_disputes(status: str | None, page: int, limit: int, order_id: str | None = None) -> tuple[list[Dispute], int]:
    """Disputes newest first, optionally of one Stripe `status` or one order: (page of rows, total)."""
    query = Dispute.select()
    if status:
        query = query.where(Dispute.status == status)
    if order_id:
        query = query.where(Dispute.order == order_id)
    total = query.count()
    return list(query.order_by(Dispute.created_at.desc(), Dispute.id).paginate(page, limit)), total


def order_disputes(order_id: str) -> list[dict]:
    """The order's disputes (`dispute_view`), oldest first."""
    return [dispute_view(d) for d in Dispute.select().where(Dispute.order == order_id)
            .order_by(Dispute.created_at, Dispute.id)]


def release_dispute_hold(dispute_id: str, actor: User) -> tuple[Dispute, bool]:
    """Staff release the hold dispute `dispute_id` put on its order (after a won dispute, or
    having decided to ship anyway): the dispute's hold -> released, and the order leaves on_hold
    (confirmed when paid) unless another dispute holds it or a fraud review is pending
    (services.orders.transitions.release_dispute_hold). Returns (dispute, whether the order was
    released). Raises NotFound (`dispute_not_found`), Conflict (`dispute_not_holding`)."""
    dispute = get_dispute(dispute_id)
    with atomic():
        if not Dispute.update(hold="released", updated_at=utcnow()).where(
                Dispute.id == dispute.id, Dispute.hold == "held").execute():
            raise Conflict("This dispute does not hold its order", reason="dispute_not_holding")
        released = transitions.release_dispute_hold(dispute.order_id, actor)
    return Dispute.get_by_id(dispute.id), released


def dispute_view(dispute: Dispute) -> dict:
    """`{"id": "dsp_...", "stripeDisputeId": "dp_...", "orderId", "paymentId", "amount" (minor
    units), "currency", "reason", "status" (Stripe's), "hold" (none | held | released),
    "fundsWithdrawn", "evidenceDueBy", "stripeCreatedAt", "closedAt", "createdAt", "updatedAt"}`
    (times ISO 8601 UTC or null)."""
    return {"id": dispute.id, "stripeDisputeId": dispute.stripe_id, "orderId": dispute.order_id,
            "paymentId": dispute.payment_id, "amount": dispute.amount, "currency": dispute.currency,
            "reason": dispute.reason, "status": dispute.status, "hold": dispute.hold,
            "fundsWithdrawn": dispute.funds_withdrawn, "evidenceDueBy": isoformat(dispute.evidence_due_by),
            "stripeCreatedAt": isoformat(dispute.stripe_created), "closedAt": isoformat(dispute.closed_at),
            "createdAt": isoformat(dispute.created_at), "updatedAt": isoformat(dispute.updated_at)}


payments.on_stripe_event(payments.DISPUTE_EVENTS, handle_dispute_event)
