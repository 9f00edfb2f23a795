"""The order state machine: staff status changes, fraud holds and the forward-only
payment transitions shared by the payment job and the Stripe webhook.

Status flow: pending -> confirmed -> processing -> shipped -> delivered, and
pending | confirmed | processing -> cancelled (stock released once).
Fraud review: pending | confirmed -> on_hold (hold_for_review) -> back to
confirmed (paid or cash on delivery) or pending (release_hold), or cancelled
(cancel_for_fraud; also by staff).
Disputes (services.orders.disputes): pending | confirmed | processing -> on_hold
(hold_for_dispute, timeline `on_hold` with reason `dispute`); the hold is the dispute's
(`Dispute.hold == "held"`), so approving a fraud review (release_hold) leaves an order a
dispute holds on hold, and staff releasing the dispute hold (release_dispute_hold) leaves
an order on hold while another dispute holds it or a fraud review is pending.
Payment status moves forward only: pending -> processing -> paid | failed,
paid -> refunded; paid never goes back to pending or failed.

Money on cancelled orders: every cancellation gives the part paid from the wallet back to
the wallet at once, in its transaction (services.orders.wallet_payments; a wallet order ->
refunded). Every cancellation (staff, failed payment, fraud) of an
order paid through Stripe writes a `payment_refund` job in the same transaction
(`request_refund`), so a crash never loses it; the job (`services.orders.refunds`)
cancels the PaymentIntent if it is still open or refunds it if it was captured,
then records the outcome with `mark_payment_voided` / `mark_refunded`. A cancelled
order whose payment succeeds later (failed | pending | processing) goes straight
to refunded, never through paid.

An erased account's orders stay for the shop's accounts, without the personal data
(`anonymise_customer_orders`, called by services.customers.erasure).
"""

from __future__ import annotations

from peewee import fn

from models.db import atomic, utcnow
from models.disputes import Dispute
from models.fraud import FraudAssessment
from models.jobs import Job
from models.orders import ORDER_STATUSES, Order, OrderAllocation, OrderItem, Payment, Refund
from models.users import User
from services import catalog, loyalty
from services.errors import Conflict, ValidationFailed
from services.orders import cashback, promotions, timeline, wallet_payments
from services.orders.live import publish_order_changed
from services.platform import events, jobs

STATUS_TRANSITIONS = {
    "pending": ("confirmed", "processing", "cancelled"),
    "confirmed": ("processing", "shipped", "cancelled"),
    "processing": ("shipped", "cancelled"),
    "shipped": ("delivered",),
    "delivered": (),
    "cancelled": (),
    "on_hold": ("cancelled",),  # leaving a fraud hold otherwise goes through release_hold
}


def _release_once(order_id: str) -> bool:
    """Undo what placing a cancelled order took, if not already done (flag flipped conditionally):
    give its units back, each to the warehouse it was allocated from, its promotion code's use
    (services.orders.promotions.return_use), the loyalty points it earned
    (services.loyalty.reverse_order_points, capped at the balance) and the part paid from the
    wallet (services.orders.wallet_payments.return_for_cancellation; a wallet order is then refunded)."""
    flipped = Order.update(stock_released=True).where(Order.id == order_id, Order.stock_released == False).execute()  # noqa: E712
    if not flipped:
        return False
    units: dict[tuple[str, str], int] = {}
    for row in OrderAllocation.select().where(OrderAllocation.order == order_id):
        units[(row.variant_id, row.warehouse_id)] = units.get((row.variant_id, row.warehouse_id), 0) + row.quantity
    if not units:  # placed before allocations were recorded (migration 0024): all from the default warehouse
        for item in OrderItem.select().where(OrderItem.order == order_id):
            key = (item.variant_id, catalog.default_warehouse_id())
            units[key] = units.get(key, 0) + catalog.stock_units(item.quantity, item.weight_grams)
    catalog.release_allocated(units, reference=order_id)
    promotions.return_use(order_id)
    loyalty.reverse_order_points(order_id)
    if wallet_payments.return_for_cancellation(order_id) is not None and \
            Order.get_by_id(order_id).payment_method == "wallet":
        mark_refunded(order_id)
    return True


def request_refund(order_id: str, reason: str) -> Job | None:
    """Write a `payment_refund` job (payload `{"orderId", "reason"}`) for an order paid through
    Stripe; call inside the transaction that cancels the order (or finds it cancelled).

    `reason` (order_cancelled, payment_failed, fraud_blocked, fraud_rejected,
    paid_after_cancel) is stored on the refund. Returns the job, or None for an order
    without a Stripe payment (cash on delivery: nothing to give back). The job is
    idempotent, so writing it again for the same order is harmless.
    """
    if not Payment.select().where(Payment.order == order_id, Payment.provider == "stripe").exists():
        return None
    return jobs.create_job("payment_refund", {"orderId": order_id, "reason": reason})


def update_status(order: Order, status: str, tracking_number: str | None = None, actor: User | None = None,
                  carrier: str | None = None, reason: str | None = None) -> Order:
    """A status change along `STATUS_TRANSITIONS` by `actor` (staff, a courier or the customer
    cancelling; None: the system), recorded on the order's timeline (services.orders.timeline,
    with `carrier`, `tracking_number` and `reason` as given). Cancelling releases stock, gives
    back the promotion code's use and, for a Stripe order, writes the `payment_refund` job that
    voids or refunds its payment. Delivering a cash-on-delivery order marks its payment paid
    (the cash was collected at the door), which earns its loyalty points like a card payment.

    Raises ValidationFailed for an unknown status, Conflict (409
    `invalid_transition`) for a move the flow does not allow.
    """
    if status not in ORDER_STATUSES:
        raise ValidationFailed(f"Unknown status {status!r}", reason="unknown_status")
    allowed = STATUS_TRANSITIONS[order.status]
    if status == order.status and tracking_number is None and carrier is None:
        return order
    if status != order.status and status not in allowed:
        raise Conflict(f"Cannot move an order from {order.status} to {status}", reason="invalid_transition")
    changes = {"status": status, "updated_at": utcnow()}
    if tracking_number is not None:
        changes["tracking_number"] = tracking_number
    if carrier is not None:
        changes["carrier"] = carrier
    with atomic():
        changed = Order.update(**changes).where(Order.id == order.id, Order.status == order.status).execute()
        if not changed:
            raise Conflict("The order changed meanwhile; reload and retry", reason="concurrent_update")
        step = timeline.STATUS_EVENTS.get(status) if status != order.status else \
            ("shipped" if status == "shipped" else None)  # a new tracking number or carrier
        if step:
            timeline.record_event(order.id, step, actor, carrier=changes.get("carrier"),
                                  trackingNumber=changes.get("tracking_number"), reason=reason)
        if status == "cancelled":
            _release_once(order.id)
            request_refund(order.id, "order_cancelled")
        if status == "delivered" and order.payment_method == "cash_on_delivery":
            mark_paid(order.id)
        if status == "delivered" and status != order.status:
            cashback.schedule_on_delivery(order)
        publish_order_changed(order.id)
        if status in ("shipped", "delivered", "cancelled"):
            events.emit(f"order.{status}", order.id, {"orderNumber": order.order_number,
                                                      "trackingNumber": changes.get("tracking_number")})
    return Order.get_by_id(order.id)


def confirm_order(order_id: str) -> bool:
    """pending -> confirmed: a cash-on-delivery order accepted for delivery (payment is collected at
    the door, so payment status stays pending). Returns True when it changed the order."""
    with atomic():
        changed = bool(Order.update(status="confirmed", updated_at=utcnow()).where(
            Order.id == order_id, Order.status == "pending").execute())
        if changed:
            timeline.record_event(order_id, "confirmed")
            publish_order_changed(order_id)
    return changed


def mark_paid(order_id: str) -> bool:
    """pending|processing payment -> paid, and a pending order -> confirmed. Never moves
    a paid, refunded or cancelled order. Returns True when it changed the order."""
    now = utcnow()
    with atomic():
        order = Order.get_by_id(order_id)
        if order.status == "cancelled" or order.payment_status not in ("pending", "processing"):
            return False
        new_status = "confirmed" if order.status == "pending" else order.status
        changed = Order.update(payment_status="paid", status=new_status, updated_at=now).where(
            Order.id == order_id, Order.payment_status.in_(("pending", "processing")),
            Order.status != "cancelled").execute()
        if changed:
            Payment.update(status="succeeded", updated_at=now).where(Payment.order == order_id).execute()
            latest = timeline.record_events(order_id, ["paid", "confirmed"] if new_status != order.status else ["paid"])
            events.emit("order.paid", order_id, {"orderNumber": order.order_number})
            publish_order_changed(order_id, latest)
        return bool(changed)


def mark_payment_processing(order_id: str) -> bool:
    changed = bool(Order.update(payment_status="processing", updated_at=utcnow()).where(
        Order.id == order_id, Order.payment_status == "pending").execute())
    if changed:
        publish_order_changed(order_id)
    return changed


def mark_payment_failed(order_id: str, reason: str) -> bool:
    """A failed payment: payment failed, order cancelled, stock released (once), and a
    `payment_refund` job that cancels the still-open PaymentIntent (the client holds its
    client secret and could otherwise still pay the cancelled order).

    Only from pending|processing payment on a not-yet-shipped order; returns
    True when it changed the order.
    """
    now = utcnow()
    with atomic():
        changed = Order.update(payment_status="failed", status="cancelled", updated_at=now).where(
            Order.id == order_id, Order.payment_status.in_(("pending", "processing")),
            Order.status.in_(("pending", "confirmed", "on_hold"))).execute()
        if changed:
            Payment.update(status="failed", last_error=reason[:1000], updated_at=now).where(
                Payment.order == order_id).execute()
            timeline.record_event(order_id, "cancelled", reason="payment_failed")
            _release_once(order_id)
            request_refund(order_id, "payment_failed")
            events.emit("payment.failed", order_id, {"reason": reason[:200]})
            publish_order_changed(order_id)
        return bool(changed)


def hold_for_review(order_id: str) -> bool:
    """Fraud review: a pending or confirmed order -> on_hold. Returns True when it changed
    the order (False if already held, or too late: processing, shipped, cancelled...)."""
    changed = bool(Order.update(status="on_hold", updated_at=utcnow()).where(
        Order.id == order_id, Order.status.in_(("pending", "confirmed"))).execute())
    if changed:
        timeline.record_event(order_id, "on_hold")
        publish_order_changed(order_id)
    return changed


DISPUTE_HOLDABLE = ("pending", "confirmed", "processing")  # not shipped yet
DISPUTE_HOLD_REASON = "dispute"  # the timeline's `on_hold` reason of a dispute's hold (a fraud hold has none)


def hold_for_dispute(order_id: str, dispute_id: str) -> bool:
    """A dispute opened on an order not shipped yet: pending | confirmed | processing -> on_hold,
    recorded on the timeline as `on_hold` with `{"reason": "dispute", "disputeId"}`. Call inside
    the transaction that marks the dispute `held`. Returns True when it changed the order (False
    if already on hold, or shipped, delivered, cancelled)."""
    changed = bool(Order.update(status="on_hold", updated_at=utcnow()).where(
        Order.id == order_id, Order.status.in_(DISPUTE_HOLDABLE)).execute())
    if changed:
        timeline.record_event(order_id, "on_hold", reason=DISPUTE_HOLD_REASON, disputeId=dispute_id)
        publish_order_changed(order_id)
    return changed


def _held_by_dispute(order_id: str) -> bool:
    return Dispute.select().where(Dispute.order == order_id, Dispute.hold == "held").exists()


def _release(order_id: str, actor: User | None = None) -> bool:
    """on_hold -> confirmed (paid or cash on delivery) or pending; call inside a transaction."""
    order = Order.get_by_id(order_id)
    if order.status != "on_hold":
        return False
    ready = order.payment_method == "cash_on_delivery" or order.payment_status == "paid"
    changed = bool(Order.update(status="confirmed" if ready else "pending", updated_at=utcnow()).where(
        Order.id == order_id, Order.status == "on_hold").execute())
    if changed and ready:
        timeline.record_event(order_id, "confirmed", actor)
    if changed:
        publish_order_changed(order_id)
    return changed


def release_hold(order_id: str) -> bool:
    """An admin approved a held order: on_hold -> confirmed when it is paid or cash on
    delivery, else pending (awaiting payment). An order a dispute holds stays on hold (staff
    release that hold: release_dispute_hold). Returns True when it changed the order."""
    with atomic():
        if _held_by_dispute(order_id):
            return False
        return _release(order_id)


def release_dispute_hold(order_id: str, actor: User | None = None) -> bool:
    """Staff released a dispute's hold (the dispute is already marked `released`, in this
    transaction): the order leaves on_hold as in release_hold, unless another dispute still
    holds it or a fraud review of it is pending. Returns True when it changed the order."""
    with atomic():
        pending_review = FraudAssessment.select().where(FraudAssessment.order == order_id,
                                                        FraudAssessment.review_status == "pending").exists()
        if pending_review or _held_by_dispute(order_id):
            return False
        return _release(order_id, actor)


def cancel_for_fraud(order_id: str, reason: str, refund_reason: str = "fraud_blocked") -> bool:
    """Cancel an order blocked or rejected as fraud: pending | on_hold | confirmed |
    processing -> cancelled, stock released once, `order.cancelled` emitted, and for a
    Stripe order a `payment_refund` job (refund reason `refund_reason`: fraud_blocked or
    fraud_rejected) that voids or refunds the payment. Returns True when it changed the
    order (False if it was already cancelled, shipped or delivered)."""
    with atomic():
        order = Order.get_by_id(order_id)
        changed = Order.update(status="cancelled", updated_at=utcnow()).where(
            Order.id == order_id, Order.status.in_(("pending", "on_hold", "confirmed", "processing"))).execute()
        if changed:
            timeline.record_event(order_id, "cancelled", reason=refund_reason)
            _release_once(order_id)
            request_refund(order_id, refund_reason)
            events.emit("order.cancelled", order_id, {"orderNumber": order.order_number, "reason": reason[:200],
                                                      "trackingNumber": None})
            publish_order_changed(order_id)
        return bool(changed)


def mark_refunded(order_id: str) -> bool:
    """A cancelled order's captured payment was refunded: payment status -> refunded (from
    paid, or from failed | pending | processing when the payment succeeded only after the
    order was cancelled; never through paid, so no `order.paid` for a cancelled order), and
    the Payment row -> refunded. Returns True when it changed the order."""
    now = utcnow()
    with atomic():
        changed = Order.update(payment_status="refunded", updated_at=now).where(
            Order.id == order_id, Order.payment_status != "refunded").execute()
        if changed:
            Payment.update(status="refunded", updated_at=now).where(Payment.order == order_id).execute()
            timeline.record_event(order_id, "refunded")
            publish_order_changed(order_id)
        return bool(changed)


REFUNDABLE_PAYMENTS = ("paid", "partially_refunded")


def follow_refunds(order_id: str) -> bool:
    """Set a paid order's payment status from its succeeded refunds (staff refunds,
    services.orders.manual_refunds; call in their transaction): all of the payment given back ->
    refunded (the Payment row too, and the loyalty points the order earned taken back,
    services.loyalty.reverse_order_points), some -> partially_refunded; a delivered order's
    partner cashback is then reversed by a `cashback` job (services.orders.cashback). True when
    it changed."""
    payment = Payment.get(Payment.order == order_id)
    given = sum(r.amount for r in Refund.select().where(Refund.order == order_id, Refund.status == "succeeded"))
    status = "refunded" if given >= payment.amount else "partially_refunded" if given else None
    if status is None:
        return False
    cashback.schedule_reversal(order_id)
    now = utcnow()
    changed = Order.update(payment_status=status, updated_at=now).where(
        Order.id == order_id, Order.payment_status.in_(REFUNDABLE_PAYMENTS), Order.payment_status != status).execute()
    if changed:
        if status == "refunded":
            Payment.update(status="refunded", updated_at=now).where(Payment.id == payment.id).execute()
            loyalty.reverse_order_points(order_id)
        publish_order_changed(order_id)
    return bool(changed)


def mark_payment_voided(order_id: str, reason: str) -> bool:
    """An unpaid order's payment was voided (PaymentIntent cancelled): payment status
    pending | processing -> failed, and the Payment row -> canceled (also when the payment
    had already failed; its first error is kept, else `reason` is stored). Returns True
    when it changed the order or its payment."""
    now = utcnow()
    with atomic():
        changed = Order.update(payment_status="failed", updated_at=now).where(
            Order.id == order_id, Order.payment_status.in_(("pending", "processing"))).execute()
        voided = Payment.update(status="canceled", last_error=fn.COALESCE(Payment.last_error, reason[:1000]),
                                updated_at=now).where(
            Payment.order == order_id, Payment.status.not_in(("succeeded", "refunded", "canceled"))).execute()
        if changed or voided:
            publish_order_changed(order_id)
        return bool(changed or voided)


def anonymise_customer_orders(customer_id: str, email: str, keep_address_keys: tuple[str, ...]) -> int:
    """Strip the personal data from the orders of customer `customer_id`, an erased account
    (services.customers.erasure): `customer_email` becomes `email` (a placeholder), the shipping
    and billing addresses keep only `keep_address_keys` (where the goods went, for the accounts
    and tax), the notes, the checkout's client IP and the lines' written customizations (card
    messages) are cleared. Status, totals, items, payments
    and refunds stay as they are. Returns how many orders changed (0 once done: a re-run changes
    nothing). Call inside the erasure's transaction."""
    def kept(address) -> dict:
        return {k: v for k, v in address.items() if k in keep_address_keys} if isinstance(address, dict) else {}

    changed = 0
    for order in Order.select(Order.id, Order.customer_email, Order.shipping_address, Order.billing_address,
                              Order.notes, Order.client_ip).where(Order.customer == customer_id):
        values = {"customer_email": email, "shipping_address": kept(order.shipping_address),
                  "billing_address": kept(order.billing_address), "notes": "", "client_ip": None}
        if any(getattr(order, field) != value for field, value in values.items()):
            changed += Order.update(**values, updated_at=utcnow()).where(Order.id == order.id).execute()
    _redact_written_customizations(customer_id)
    return changed


def _redact_written_customizations(customer_id: str) -> None:
    """Blank what the customer wrote in their order lines' customizations (a card message: a
    `text` option, or any option whose product no longer defines it), in the line and in its
    snapshot; chosen vases, sizes and dates stay, with their prices."""
    items = list(OrderItem.select(OrderItem.id, OrderItem.product_id, OrderItem.customizations,
                                  OrderItem.product_snapshot)
                 .join(Order).where(Order.customer == customer_id, OrderItem.customizations != "[]"))
    if not items:
        return
    types = catalog.customization_types({item.product_id for item in items})

    def redacted(chosen, product_id):
        kinds = types.get(product_id, {})
        return [{**c, "value": ""} if isinstance(c.get("value"), str) and kinds.get(c.get("code"), "text") == "text"
                else c for c in chosen or []]

    for item in items:
        lines = redacted(item.customizations, item.product_id)
        snapshot = dict(item.product_snapshot or {})
        if "customizations" in snapshot:
            snapshot["customizations"] = redacted(snapshot["customizations"], item.product_id)
        if lines != item.customizations or snapshot != item.product_snapshot:
            OrderItem.update(customizations=lines, product_snapshot=snapshot).where(OrderItem.id == item.id).execute()
