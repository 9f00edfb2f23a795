"""Event fan-out: an `event_fanout` job becomes one `Notification` per recipient and
channel, sent by `notification_send` child jobs, one per channel and batch of up to
`SEND_BATCH` (each notification keeps its own status, attempts and at-most-once send).

Flow. A domain event (services.platform.events.emit) is an `event_fanout` job;
`fan_out_event(job, ctx)` resolves the recipients, picks their channels and
writes one `Notification` per recipient and channel, with one `notification_send`
child job per channel and `SEND_BATCH` notifications, in batches of `FANOUT_BATCH` recipients (one
transaction per batch: the rows and their jobs commit together).
`Notification.dedupe_key` = `{fan-out job id}:{recipient}:{channel}` is
UNIQUE, so a re-run of the fan-out (retry, lease expiry, duplicate delivery)
never creates a second notification or a second send job.

Recipients. Order events (order.placed/paid/shipped/delivered/cancelled,
payment.failed; subject = order id) go to the order's customer, or for a guest
order to its `customer_email` by email only. `stock.low` (subject = variant id)
and `purchase_order.created` (subject = purchase order id) and `dispute.opened` (subject = dispute id)
go to active staff and admins. `wishlist.price_drop` / `wishlist.back_in_stock`
(subject = product or variant id) go to the users who wishlisted the product
(`services.customers.users_wishlisting`, looked up when the fan-out runs).
`stock.back_in_stock` (subject = variant id) goes to the users named in its data (`userIds`: the
back-in-stock requests the stock change marked notified, services.catalog.back_in_stock).
`loyalty.points_reminder` (subject = user id) goes to that user;
`cart.abandoned` (subject = cart id) to the cart's customer (guest carts have
no address and are skipped). `account.*` (services.notifications.account_mail) go to
the account by email, whatever its preferences say; `account.otp` (subject = OTP challenge)
to the challenge's phone number by SMS.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from models.carts import Cart, CartItem
from models.catalog import Product, Variant
from models.db import atomic, isoformat, new_id, utcnow
from models.disputes import Dispute
from models.jobs import Job
from models.notifications import Notification, NotificationPreference
from models.orders import Order, OrderItem
from models.users import User
from services import catalog, customers, loyalty
from services.errors import DomainError
from services.notifications import account_mail
from services.notifications.events import ACCOUNT_EVENTS, EVENTS, ORDER_EVENTS, SHOP_NAME
from services.notifications.preferences import channels_for, preferences_of
from services.platform import JobContext, jobs

log = logging.getLogger("services.notifications")  # the logger name from before the package split

FANOUT_BATCH = 100
SEND_BATCH = 25  # notifications of one channel per notification_send job


@dataclass
class Recipient:
    """Who gets a message: a user (preferences apply), a guest email address (email only) or a
    bare phone number (an OTP login code: SMS only)."""

    user: User | None
    email: str | None
    name: str
    phone: str | None = None

    @property
    def key(self) -> str:
        if self.user is not None:
            return self.user.id
        if self.phone:
            return "phone-" + hashlib.sha256(self.phone.encode()).hexdigest()[:32]
        return "email-" + hashlib.sha256((self.email or "").lower().encode()).hexdigest()[:32]

    def address(self, channel: str) -> str | None:
        """Where `channel` reaches this recipient: the user id (in_app), the E.164 phone (sms) or
        the email address; None when it has none."""
        if channel == "in_app":
            return self.user.id if self.user else None
        if channel == "sms":
            phone = self.phone or (self.user.phone if self.user else None)
            return phone.replace(" ", "") if phone else None
        return self.email


def _user_recipient(user: User) -> Recipient:
    fallback = (user.email or "").split("@")[0] or "there"  # a phone-first account may have neither name nor email
    return Recipient(user=user, email=user.email, name=(user.first_name or "").strip() or fallback)


def _order_context(order: Order) -> dict:
    items = list(OrderItem.select().where(OrderItem.order == order.id).order_by(OrderItem.id))
    return {"order": {
        "id": order.id, "number": order.order_number, "status": order.status,
        "paymentStatus": order.payment_status, "paymentMethod": order.payment_method,
        "subtotal": order.subtotal, "tax": order.tax, "shipping": order.shipping, "discount": order.discount,
        "total": order.total, "currency": order.currency, "trackingNumber": order.tracking_number,
        "shippingMethod": (order.shipping_method or {}).get("name") or (order.shipping_method or {}).get("id"),
        "items": [{"name": item.product_snapshot.get("name", ""),
                   "variant": (item.product_snapshot.get("variant") or {}).get("name", ""),
                   "quantity": item.quantity, "totalPrice": item.total_price} for item in items],
    }}


def _product_for_subject(subject_id: str) -> Product | None:
    if subject_id.startswith("var_"):
        variant = Variant.get_or_none(Variant.id == subject_id)
        return Product.get_or_none(Product.id == variant.product_id) if variant else None
    return Product.get_or_none(Product.id == subject_id)


def _variant_context(variant_id: str) -> tuple[dict, Product] | None:
    """`({"id", "name", "sku"}, its product)` for a variant id, or None when either is gone."""
    variant = Variant.get_or_none(Variant.id == variant_id)
    product = Product.get_or_none(Product.id == variant.product_id) if variant else None
    if product is None:
        return None
    return {"id": variant.id, "name": variant.name, "sku": variant.sku}, product


def _wishlisting_user_ids(product_id: str) -> list[str]:
    """Ids of the users who have `product_id` on their wishlist."""
    return list(customers.users_wishlisting(product_id))


def _active_users(user_ids) -> list[User]:
    ids = list(dict.fromkeys(i for i in user_ids if i))
    if not ids:
        return []
    return list(User.select().where(User.id.in_(ids), User.is_active == True).order_by(User.id))  # noqa: E712


def _staff_recipients(context: dict):
    """Every active staff member and admin, for the staff-facing events."""
    staff = list(User.select().where(User.role.in_(("staff", "admin")), User.is_active == True)  # noqa: E712
                 .order_by(User.id))
    return [_user_recipient(u) for u in staff], context, None if staff else "no_staff"


def resolve_event(event: str, subject_id: str, data: dict,
                  job_id: str = "") -> tuple[list[Recipient], dict, str | None]:
    """Recipients and the shared template context for an event (`job_id`: the fan-out job, which
    account mail keys its link on). Returns (recipients, context, skip_reason) where skip_reason
    explains an empty recipient list."""
    context = {"shopName": SHOP_NAME, "event": event, "data": data or {}}
    if event == "account.otp":
        phone, extra, skipped = account_mail.otp_message(subject_id)
        context.update(extra)
        return ([Recipient(user=None, email=None, name="", phone=phone)] if phone else []), context, skipped
    if event in ACCOUNT_EVENTS:
        user, extra, skipped = account_mail.resolve(event, subject_id, data, job_id)
        context.update(extra)
        context["data"] = {}  # never echo the request (an email address) into the message
        return ([_user_recipient(user)] if user else []), context, skipped
    if event in ORDER_EVENTS:
        order = Order.get_or_none(Order.id == subject_id)
        if order is None:
            return [], context, "subject_not_found"
        context.update(_order_context(order))
        if event == "order.paid":
            line = loyalty.earn_for_order(order.id)
            context["pointsEarned"] = line.points if line else 0
            context["pointsBalance"] = loyalty.points_balance(order.customer_id) if order.customer_id else 0
        if order.customer_id:
            users = _active_users([order.customer_id])
            return [_user_recipient(u) for u in users], context, None if users else "recipient_inactive"
        name = (order.shipping_address or {}).get("firstName") or order.customer_email.split("@")[0]
        return [Recipient(user=None, email=order.customer_email, name=name)], context, None
    if event == "stock.low":
        found = _variant_context(subject_id)
        if found is None:
            return [], context, "subject_not_found"
        context.update({"variant": found[0], "product": {"id": found[1].id, "name": found[1].name},
                        "quantity": (data or {}).get("quantity"), "threshold": (data or {}).get("threshold")})
        return _staff_recipients(context)
    if event == "purchase_order.created":
        summary = catalog.purchase_order_summary(subject_id)
        if summary is None:
            return [], context, "subject_not_found"
        context["purchaseOrder"] = summary
        return _staff_recipients(context)
    if event == "dispute.opened":
        dispute = Dispute.get_or_none(Dispute.id == subject_id)
        order = Order.get_or_none(Order.id == dispute.order_id) if dispute else None
        if order is None:
            return [], context, "subject_not_found"
        context.update(_order_context(order))
        context["dispute"] = {"id": dispute.id, "stripeId": dispute.stripe_id, "amount": dispute.amount,
                              "currency": dispute.currency, "reason": dispute.reason, "status": dispute.status,
                              "evidenceDueBy": isoformat(dispute.evidence_due_by), "held": dispute.hold == "held"}
        return _staff_recipients(context)
    if event == "stock.back_in_stock":  # the requesters were picked (and marked notified) with the event
        found = _variant_context(subject_id)
        if found is None:
            return [], context, "subject_not_found"
        variant, product = found
        context["product"] = {"id": product.id, "name": product.name, "handle": product.handle,
                              "price": product.price, "currency": product.currency}
        context["variant"] = variant
        users = _active_users((data or {}).get("userIds") or [])
        return [_user_recipient(u) for u in users], context, None if users else "no_recipients"
    if event in ("wishlist.price_drop", "wishlist.back_in_stock"):
        product = _product_for_subject(subject_id)
        if product is None:
            return [], context, "subject_not_found"
        context["product"] = {"id": product.id, "name": product.name, "handle": product.handle,
                              "price": product.price, "compareAtPrice": product.compare_at_price,
                              "currency": product.currency}
        users = _active_users(_wishlisting_user_ids(product.id))
        return [_user_recipient(u) for u in users], context, None if users else "no_recipients"
    if event == "loyalty.points_reminder":
        users = _active_users([subject_id])
        if not users:
            return [], context, "subject_not_found"
        context["points"] = loyalty.points_balance(subject_id)
        if not context["points"]:
            return [], context, "no_points"
        return [_user_recipient(users[0])], context, None
    if event == "cart.abandoned":
        cart = Cart.get_or_none(Cart.id == subject_id)
        if cart is None:
            return [], context, "subject_not_found"
        if cart.customer_id is None:
            return [], context, "guest_cart"
        if cart.status != "active":
            return [], context, "cart_not_active"
        items = list(CartItem.select(CartItem, Product).join(Product).where(CartItem.cart == cart.id)
                     .order_by(CartItem.created_at))
        if not items:
            return [], context, "cart_empty"
        context["cart"] = {"id": cart.id, "currency": cart.currency,
                           "items": [{"name": i.product.name, "quantity": i.quantity} for i in items]}
        users = _active_users([cart.customer_id])
        return [_user_recipient(u) for u in users], context, None if users else "recipient_inactive"
    raise DomainError(f"Unknown event type {event!r}", reason="unknown_event")


def _send_batches(rows: list[dict]) -> list[list[dict]]:
    """The notification rows grouped by channel, at most SEND_BATCH per group: one send job each."""
    by_channel: dict[str, list[dict]] = {}
    for row in rows:
        by_channel.setdefault(row["channel"], []).append(row)
    return [group[i:i + SEND_BATCH] for group in by_channel.values() for i in range(0, len(group), SEND_BATCH)]


def _write_batch(source_job: Job, plans: list[tuple], owner_id: str | None = None) -> tuple[int, int]:
    """In one transaction: insert the planned notifications whose dedupe key is new, each
    with its `notification_send` child job. `plans` items are
    (dedupe_key, recipient, channel, fields). Returns (created, already_present)."""
    if not plans:
        return 0, 0
    created = 0
    with atomic():
        keys = [p[0] for p in plans]
        existing = {row.dedupe_key for row in Notification.select(Notification.dedupe_key)
                    .where(Notification.dedupe_key.in_(keys))}
        rows = []
        for dedupe_key, recipient, channel, fields in plans:
            if dedupe_key in existing:
                continue
            existing.add(dedupe_key)
            to = recipient.address(channel)
            now = utcnow()
            rows.append({"id": new_id("ntf"), "user": recipient.user.id if recipient.user else None,
                         "channel": channel, "recipient": to, "dedupe_key": dedupe_key,
                         "source_job_id": source_job.id, "created_at": now, "updated_at": now, **fields})
            created += 1
        if rows:
            batches = _send_batches(rows)
            children = jobs.create_jobs([jobs.JobSpec("notification_send",
                                                      {"notificationIds": [row["id"] for row in batch]},
                                                      owner_id=owner_id, parent_id=source_job.id, total=len(batch))
                                         for batch in batches])
            for batch, child in zip(batches, children):
                for row in batch:
                    row["send_job_id"] = child.id
            Notification.insert_many(rows).execute()  # with the send jobs: two INSERTs per batch
    return created, len(plans) - created


def fan_out_event(job: Job, ctx: JobContext) -> dict:
    """`event_fanout` handler: payload `{"event", "subjectId", "data"}` -> notifications + send jobs.

    Returns `{"event", "subjectId", "recipients", "notifications", "existing",
    "byChannel": {channel: n}, "skipped": reason | None}`. Raises DomainError for an
    unknown event type.
    """
    payload = job.payload or {}
    event, subject_id, data = payload.get("event"), payload.get("subjectId") or "", payload.get("data") or {}
    spec = EVENTS.get(event)
    if spec is None:
        raise DomainError(f"Unknown event type {event!r}", reason="unknown_event")
    recipients, context, skipped = resolve_event(event, subject_id, data, job.id)
    total = len(recipients)
    if total > FANOUT_BATCH:  # one batch (the usual order event): its own progress write is the first
        ctx.progress(0, total, f"{total} recipient(s)")
    created = existing = 0
    by_channel: dict[str, int] = {}
    for start in range(0, total, FANOUT_BATCH):
        batch = recipients[start:start + FANOUT_BATCH]
        prefs = {}
        users = [r.user.id for r in batch if r.user is not None]
        if users:
            rows = {row.user_id: row for row in
                    NotificationPreference.select().where(NotificationPreference.user.in_(users))}
            prefs = {uid: preferences_of(uid, rows.get(uid)) for uid in users}
        plans = []
        for recipient in batch:
            if recipient.user is None or spec.transactional:  # the event's first channel the recipient has
                channels = [c for c in spec.channels if c != "in_app" and recipient.address(c)][:1]
            else:
                channels = channels_for(recipient.user, spec.channels, spec.category, prefs[recipient.user.id])
            for channel in channels:
                fields = {"event": event, "category": spec.category, "level": spec.level,
                          "template": spec.template, "subject_id": subject_id or None,
                          "context": {**context, "recipientName": recipient.name, "channel": channel}}
                plans.append((f"{job.id}:{recipient.key}:{channel}", recipient, channel, fields))
                by_channel[channel] = by_channel.get(channel, 0) + 1
        batch_created, batch_existing = _write_batch(job, plans)
        created += batch_created
        existing += batch_existing
        ctx.progress(min(start + FANOUT_BATCH, total), total, f"{created} notification(s) created")
    if event == "loyalty.points_reminder" and recipients:
        loyalty.mark_reminded(subject_id)
    return {"event": event, "subjectId": subject_id, "recipients": total, "notifications": created,
            "existing": existing, "byChannel": by_channel, "skipped": skipped}
