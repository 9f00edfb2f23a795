"""Staff refunds of a paid order, full or partial, by amount or by line (issue 10; Shopify's and
Saleor's order refunds): `POST /orders/{id}/refunds`.

`start_refund` locks the order row (`FOR UPDATE` on PostgreSQL; SQLite's write lock), checks the
request against what is left to refund and writes a `pending` manual `Refund` in one
transaction, so concurrent refunds never give back more than was paid. A card payment is then
refunded on Stripe by the `payment_refund` job (`execute_refund`, fixed idempotency key
`order:{order id}:refund:{refund id}`, the refund found again on Stripe by `metadata.refundId`
after a crash); a cash payment is recorded as refunded at once (the cash was handed back). Money
paid from the wallet goes back to the wallet at once (services.orders.wallet_payments): for a
card order partly paid from the wallet, the wallet part is refunded first and the card only for
the rest, so one request may write two refunds (the card's is returned, with the lines). The
order's payment status follows: `partially_refunded`, then `refunded` once everything paid is
given back; the order's fulfilment status is unchanged, and no stock returns (returned goods
are restocked with `POST /inventory/restock`). A refund that fully repays the order takes its
loyalty points back (services.orders.transitions.follow_refunds).

By line: `[{"itemId", "quantity"}]`; the amount is those units' share of what the goods cost
after the discount, tax included: `round_half_up(sum(unit price x quantity) x (total -
shipping) / subtotal)` (shipping is refunded only by amount). A line's units can be refunded
once: quantities already in live refunds count.
"""

from __future__ import annotations

from decimal import Decimal

from models.db import atomic, is_postgres, utcnow
from models.jobs import Job
from models.orders import LIVE_REFUND_STATUSES, Order, OrderItem, Payment, Refund
from models.users import User
from services import payments
from services.errors import Conflict, PaymentFailed, ValidationFailed
from services.orders import timeline, transitions, wallet_payments
from services.orders.live import publish_order_changed
from services.orders.pricing import round_half_up
from services.platform import jobs

REFUNDABLE_PAYMENTS = transitions.REFUNDABLE_PAYMENTS


def _lock_order(order_id: str) -> Order:
    query = Order.select().where(Order.id == order_id)
    return (query.for_update() if is_postgres() else query).get()


def _live_refunds(order_id: str) -> list[Refund]:
    return list(Refund.select().where(Refund.order == order_id, Refund.status.in_(LIVE_REFUND_STATUSES)))


def _lines_amount(order: Order, lines: list[dict], refunds: list[Refund]) -> tuple[int, list[dict]]:
    """(minor units, normalised lines) for refunding `lines`; raises ValidationFailed (422
    `unknown_order_item`, `refund_quantity_too_large`)."""
    items = {item.id: item for item in OrderItem.select().where(OrderItem.order == order.id)}
    done: dict[str, int] = {}
    for refund in refunds:
        for line in refund.lines or []:
            done[line["itemId"]] = done.get(line["itemId"], 0) + line["quantity"]
    wanted: dict[str, int] = {}
    for line in lines:
        wanted[line["item_id"]] = wanted.get(line["item_id"], 0) + line["quantity"]
    goods = 0
    for item_id, quantity in wanted.items():
        item = items.get(item_id)
        if item is None:
            raise ValidationFailed("No such line in this order", reason="unknown_order_item",
                                   details=[{"field": "lines", "message": f"{item_id} is not a line of the order"}])
        left = item.quantity - done.get(item_id, 0)
        if quantity > left:
            raise ValidationFailed("More units than are left to refund", reason="refund_quantity_too_large",
                                   details=[{"field": "lines", "message": f"{item_id}: {left} left to refund"}])
        goods += item.unit_price * quantity
    amount = round_half_up(Decimal(goods) * (order.total - order.shipping) / order.subtotal) if order.subtotal else 0
    return amount, [{"itemId": k, "quantity": v} for k, v in sorted(wanted.items())]


def start_refund(order_id: str, staff: User, amount: int | None = None, lines: list[dict] | None = None,
                 reason: str = "") -> tuple[Refund, Job | None]:
    """Refund `amount` minor units, or the units of `lines` (`[{"item_id", "quantity"}]`), or
    (neither) everything left, of a paid order. Returns the refund (pending for a card payment,
    with its `payment_refund` job; succeeded for cash or the wallet, job None). Raises Conflict (409
    `order_not_paid`), ValidationFailed (422 `refund_amount_or_lines`, `refund_exceeds_payment`,
    `unknown_order_item`, `refund_quantity_too_large`)."""
    if amount is not None and lines:
        raise ValidationFailed("Give an amount or lines, not both", reason="refund_amount_or_lines",
                               details=[{"field": "amount", "message": "Leave out when refunding lines"}])
    with atomic():
        order = _lock_order(order_id)
        if order.payment_status not in REFUNDABLE_PAYMENTS:
            raise Conflict(f"Only a paid order is refunded (payment {order.payment_status})", reason="order_not_paid")
        payment = Payment.get(Payment.order == order.id)
        refunds = _live_refunds(order.id)
        left = payment.amount - sum(r.amount for r in refunds)
        refund_lines: list[dict] = []
        if lines:
            amount, refund_lines = _lines_amount(order, lines, refunds)
        elif amount is None:
            amount = left
        if amount <= 0 or amount > left:
            raise ValidationFailed(f"At most {left} is left to refund", reason="refund_exceeds_payment",
                                   details=[{"field": "amount", "message": f"Between 1 and {left} (minor units)"}])
        cash = payment.provider != "stripe" or not payment.provider_ref
        to_wallet, rest = wallet_payments.split_refund(order, amount)  # the wallet part first
        job = refund = None
        if rest:
            refund = Refund.create(order=order.id, payment=payment.id, amount=rest, currency=order.currency,
                                   status="succeeded" if cash else "pending", reason=(reason or "requested")[:200],
                                   kind="manual", lines=refund_lines, created_by=staff.id)
            if not cash:
                job = jobs.create_job("payment_refund", {"orderId": order.id, "refundId": refund.id},
                                      owner_id=staff.id)
        if to_wallet:
            wallet_refund = wallet_payments.refund_to_wallet(order, to_wallet, "manual", reason,
                                                             [] if refund else refund_lines, staff)
            refund = refund or wallet_refund
        timeline.record_event(order.id, "refunded", staff, amount=amount, refundId=refund.id)
        transitions.follow_refunds(order.id)  # what is already given back (cash, wallet) counts now
    return refund, job


def execute_refund(refund_id: str) -> dict:
    """The `payment_refund` job's work for a staff refund: refund it on Stripe (once), record the
    provider's refund id and status, and update the order's payment status. Returns `{"orderId",
    "action": "refunded" | "failed" | "none", "refundId", "providerRefundId", "status"}`. A refusal
    by Stripe marks the refund failed (its amount is refundable again) and re-raises PaymentFailed."""
    refund = Refund.get_by_id(refund_id)
    outcome = {"orderId": refund.order_id, "refundId": refund.id, "action": "none",
               "providerRefundId": refund.provider_ref, "status": refund.status}
    if refund.status != "pending":
        return outcome
    payment = Payment.get_by_id(refund.payment_id)
    try:
        made = payments.refund_amount(refund.order_id, payment.provider_ref, refund.id, refund.amount, refund.reason)
    except PaymentFailed as exc:
        with atomic():
            Refund.update(status="failed", updated_at=utcnow()).where(Refund.id == refund.id).execute()
            publish_order_changed(refund.order_id)
        exc.result = dict(outcome, action="failed", status="failed")
        raise
    with atomic():
        Refund.update(provider_ref=made["id"], status=made["status"], updated_at=utcnow()).where(
            Refund.id == refund.id, Refund.status == "pending").execute()
        transitions.follow_refunds(refund.order_id)
    return dict(outcome, action="refunded", providerRefundId=made["id"], status=made["status"])
