"""Notifications (DESIGN.md section 5): event fan-out, rendering, sending, preferences,
in-app reads, history, admin direct and bulk messages.

Flow. A domain event (services.events.emit) is an `event_fanout` job;
`fan_out_event(job, ctx)` resolves the recipients, picks their channels and
writes one `Notification` per recipient and channel, each with its own
`notification_send` child job, in batches of `FANOUT_BATCH` recipients (one
transaction per batch: the rows and their jobs commit together).
`Notification.dedupe_key` = `{fan-out job id}:{recipient}:{channel}` is
UNIQUE, so a re-run of the fan-out (retry, lease expiry, duplicate delivery)
never creates a second notification or a second send job.

Recipients. Order events (order.placed/paid/shipped/delivered/cancelled,
payment.failed; subject = order id) go to the order's customer, or for a guest
order to its `customer_email` by email only. `stock.low` (subject = variant id)
goes to active staff and admins. `wishlist.price_drop` / `wishlist.back_in_stock`
(subject = product or variant id) go to the users who wishlisted the product
(`services.wishlists.users_wishlisting`, looked up when the fan-out runs).
`loyalty.points_reminder` (subject = user id) goes to that user;
`cart.abandoned` (subject = cart id) to the cart's customer (guest carts have
no address and are skipped).

Channels. An event has a category and the channels it may use (`EVENTS`). A
registered user gets a channel when the event uses it, the user's switch for
the channel is on, the user's switch for the category is on, and the channel
has an address (SMS needs `User.phone`). Defaults (no saved preferences):
email on, in-app on, SMS off (SMS is opt-in: it costs money and needs
consent); every category on except `marketing` (opt-in). Guests get email only.

Sending. `send_notification_job(job, ctx)` renders the template (Jinja2 files
under templates/notifications/<template>/: subject.txt, body.txt, body.html
with autoescape, short.txt for SMS and the in-app message) and calls the
channel's provider. Never twice:
- before the call it returns at once when the notification is already `sent`;
  success is recorded with a conditional UPDATE (still pending and still ours);
- the provider call is bracketed by an in-flight marker (`send_started_at`),
  set by a conditional UPDATE before the call and cleared when the outcome is
  recorded. A marker left by a worker that died mid-call means "outcome
  unknown": the notification is marked `failed` (`delivery_outcome_unknown`)
  and not sent again. That is the at-most-once window: a worker killed during
  the provider call may lose that one message, never duplicate it;
- provider 5xx, 429, timeouts and refused connections raise TransientError,
  so the runner retries with exponential backoff (1 s, 2 s, 4 s ...); on the
  job's last attempt the notification ends `failed` with the error and its
  retry count. A timeout can hide an accepted request, so a retry after a
  timeout may, rarely, deliver twice (SendGrid messages carry
  `custom_args.notification_id` for that case; Twilio has no idempotency key);
- other 4xx answers fail at once (ProviderRejected, not retried).
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import jinja2

import config
from models.carts import Cart, CartItem
from models.catalog import Product, Variant
from models.db import atomic, isoformat, new_id, utcnow
from models.jobs import Job
from models.notifications import CHANNELS, Notification, NotificationPreference
from models.orders import Order, OrderItem
from models.users import User
from services import jobs, loyalty
from services.errors import DomainError, NotFound, TransientError, ValidationFailed
from services.jobcontext import JobContext
from services.notification_providers import OutgoingMessage, ProviderRejected, provider_for

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(config.ROOT) / "templates" / "notifications"
SHOP_NAME = "Cartwheel"
FANOUT_BATCH = 100
SMS_MAX_CHARS = 1600
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")

CATEGORIES = ("orders", "wishlist", "loyalty", "cart", "stock", "announcements", "marketing")
DEFAULT_CATEGORIES = {"orders": True, "wishlist": True, "loyalty": True, "cart": True, "stock": True,
                      "announcements": True, "marketing": False}
DEFAULT_CHANNELS = {"email": True, "sms": False, "in_app": True}


@dataclass(frozen=True)
class EventSpec:
    """How an event is notified: preference `category`, the `channels` it may use, the
    in-app `level` (seed 002 type info|success|warning|error) and its `template` directory."""

    category: str
    channels: tuple
    level: str
    template: str
    description: str


EVENTS = {
    "order.placed": EventSpec("orders", ("email", "sms", "in_app"), "success", "order_placed",
                              "Order confirmation to the customer (guests: email)"),
    "order.paid": EventSpec("orders", ("email", "in_app"), "success", "order_paid",
                            "Payment received, with the loyalty points earned"),
    "order.shipped": EventSpec("orders", ("email", "sms", "in_app"), "info", "order_shipped",
                               "Order shipped, with the tracking number"),
    "order.delivered": EventSpec("orders", ("email", "sms", "in_app"), "success", "order_delivered",
                                 "Order delivered"),
    "order.cancelled": EventSpec("orders", ("email", "sms", "in_app"), "warning", "order_cancelled",
                                 "Order cancelled"),
    "payment.failed": EventSpec("orders", ("email", "sms", "in_app"), "error", "payment_failed",
                                "Payment failed; the order was cancelled"),
    "stock.low": EventSpec("stock", ("email", "in_app"), "warning", "stock_low",
                           "Low stock alert to staff and admins"),
    "wishlist.price_drop": EventSpec("wishlist", ("email", "in_app"), "info", "wishlist_price_drop",
                                     "A wishlisted product got cheaper"),
    "wishlist.back_in_stock": EventSpec("wishlist", ("email", "sms", "in_app"), "info", "wishlist_back_in_stock",
                                        "A wishlisted product is back in stock"),
    "loyalty.points_reminder": EventSpec("loyalty", ("email", "in_app"), "info", "loyalty_points_reminder",
                                         "Reminder of unused loyalty points"),
    "cart.abandoned": EventSpec("cart", ("email", "in_app"), "info", "cart_abandoned",
                                "Reminder of a cart left with items"),
}
DIRECT_TEMPLATE = "custom"
BULK_TEMPLATE = "announcement"
ORDER_EVENTS = ("order.placed", "order.paid", "order.shipped", "order.delivered", "order.cancelled",
                "payment.failed")


# ---------------------------------------------------------------------------------------------------------------
# Preferences


def _preference_row(user_id: str) -> NotificationPreference | None:
    return NotificationPreference.get_or_none(NotificationPreference.user == user_id)


def preferences_of(user_id: str, row: NotificationPreference | None = None) -> dict:
    """Effective preferences: `{"channels": {"email", "sms", "in_app"}, "categories": {name: bool}}`."""
    row = row if row is not None else _preference_row(user_id)
    if row is None:
        return {"channels": dict(DEFAULT_CHANNELS), "categories": dict(DEFAULT_CATEGORIES)}
    categories = dict(DEFAULT_CATEGORIES)
    categories.update({k: bool(v) for k, v in (row.categories or {}).items() if k in DEFAULT_CATEGORIES})
    return {"channels": {"email": row.email, "sms": row.sms, "in_app": row.in_app}, "categories": categories}


def preferences_view(user: User) -> dict:
    """The preferences resource (seed 001 names): emailNotifications, smsNotifications,
    inAppNotifications, categories {orders, wishlist, loyalty, cart, stock, announcements,
    marketing}, phone (whether SMS can reach the user), updatedAt (null until first saved)."""
    row = _preference_row(user.id)
    prefs = preferences_of(user.id, row)
    return {"emailNotifications": prefs["channels"]["email"], "smsNotifications": prefs["channels"]["sms"],
            "inAppNotifications": prefs["channels"]["in_app"], "categories": prefs["categories"],
            "smsReachable": bool(user.phone), "updatedAt": isoformat(row.updated_at) if row else None}


def update_preferences(user: User, changes: dict) -> dict:
    """Apply a partial update: keys `email`, `sms`, `in_app` (booleans) and `categories`
    ({name: bool}, merged into the saved ones). Returns `preferences_view`.
    Raises ValidationFailed (422) for an unknown category."""
    categories = changes.get("categories") or {}
    unknown = sorted(set(categories) - set(CATEGORIES))
    if unknown:
        raise ValidationFailed("Unknown notification category", reason="unknown_category",
                               details=[{"field": f"categories.{name}", "message": f"One of {', '.join(CATEGORIES)}"}
                                        for name in unknown])
    with atomic():
        row = _preference_row(user.id)
        current = preferences_of(user.id, row)
        merged_categories = dict(row.categories or {}) if row else {}
        merged_categories.update({k: bool(v) for k, v in categories.items()})
        values = {
            "email": changes.get("email", current["channels"]["email"]),
            "sms": changes.get("sms", current["channels"]["sms"]),
            "in_app": changes.get("in_app", current["channels"]["in_app"]),
            "categories": merged_categories, "updated_at": utcnow(),
        }
        (NotificationPreference.insert(user=user.id, **values)
         .on_conflict(conflict_target=[NotificationPreference.user], update=values).execute())
    return preferences_view(user)


def channels_for(user: User, spec_channels: tuple, category: str, prefs: dict | None = None,
                 respect_categories: bool = True) -> list[str]:
    """The channels `user` gets for a message of `category` that may use `spec_channels`:
    the channel's switch on, the category's switch on (unless `respect_categories` is
    False), and an address for it (SMS needs a phone number)."""
    prefs = prefs or preferences_of(user.id)
    if respect_categories and not prefs["categories"].get(category, DEFAULT_CATEGORIES.get(category, True)):
        return []
    chosen = []
    for channel in spec_channels:
        if not prefs["channels"].get(channel):
            continue
        if channel == "sms" and not (user.phone and E164.match(user.phone.replace(" ", ""))):
            continue
        chosen.append(channel)
    return chosen


# ---------------------------------------------------------------------------------------------------------------
# Rendering


def _money(amount, currency: str = "USD") -> str:
    """`5900, "USD"` -> `59.00 USD` (minor units to a decimal string with the currency's exponent)."""
    if amount is None:
        return ""
    exponent = config.CURRENCY_EXPONENTS.get(str(currency).upper(), 2)
    sign = "-" if amount < 0 else ""
    amount = abs(int(amount))
    if exponent == 0:
        return f"{sign}{amount} {currency}"
    whole, frac = divmod(amount, 10 ** exponent)
    return f"{sign}{whole}.{frac:0{exponent}d} {currency}"


_env: jinja2.Environment | None = None


def template_env() -> jinja2.Environment:
    """The Jinja2 environment: files under templates/notifications, autoescape on for
    `.html`, StrictUndefined (a missing variable is an error, not an empty string)."""
    global _env
    if _env is None:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
        env.filters["money"] = _money
        _env = env
    return _env


@dataclass(frozen=True)
class Rendered:
    """A rendered message: `subject` (email subject, in-app title), `text` (email text part),
    `html` (email HTML part), `short` (SMS body and in-app message)."""

    subject: str
    text: str
    html: str | None
    short: str


def render(template: str, context: dict) -> Rendered:
    """Render the template directory `template` with `context`.

    Raises DomainError (`template_error`, not retried) for a missing template or variable.
    """
    env = template_env()
    try:
        subject = " ".join(env.get_template(f"{template}/subject.txt").render(context).split())
        text = env.get_template(f"{template}/body.txt").render(context).strip() + "\n"
        html = env.get_template(f"{template}/body.html").render(context)
        try:
            short = env.get_template(f"{template}/short.txt").render(context).strip()
        except jinja2.TemplateNotFound:
            short = text.strip()
    except jinja2.TemplateError as exc:
        raise DomainError(f"Template {template!r} could not be rendered: {exc}", reason="template_error") from None
    return Rendered(subject=subject[:500], text=text, html=html, short=short[:SMS_MAX_CHARS])


def list_templates() -> list[dict]:
    """Every template directory: name, the events using it, their category and channels, and its files."""
    by_template: dict[str, list[str]] = {}
    for event, spec in EVENTS.items():
        by_template.setdefault(spec.template, []).append(event)
    found = []
    for path in sorted(p for p in TEMPLATE_DIR.iterdir() if p.is_dir() and not p.name.startswith("_")):
        events = by_template.get(path.name, [])
        specs = [EVENTS[e] for e in events]
        if path.name == DIRECT_TEMPLATE:
            description, channels, category = "Custom message sent by an admin (email or SMS)", ["email", "sms"], None
        elif path.name == BULK_TEMPLATE:
            description, channels, category = "Bulk announcement to a set of users", list(CHANNELS), "marketing"
        else:
            description = specs[0].description if specs else ""
            channels = sorted({c for s in specs for c in s.channels})
            category = specs[0].category if specs else None
        found.append({"name": path.name, "events": events, "category": category, "channels": channels,
                      "description": description,
                      "files": sorted(f.name for f in path.iterdir() if f.is_file())})
    return found


# ---------------------------------------------------------------------------------------------------------------
# Fan-out


@dataclass
class Recipient:
    """Who gets a message: a user (preferences apply) or a guest email address (email only)."""

    user: User | None
    email: str | None
    name: str

    @property
    def key(self) -> str:
        if self.user is not None:
            return self.user.id
        return "email-" + hashlib.sha256((self.email or "").lower().encode()).hexdigest()[:32]


def _user_recipient(user: User) -> Recipient:
    return Recipient(user=user, email=user.email, name=(user.first_name or "").strip() or user.email.split("@")[0])


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


def _wishlisting_user_ids(product_id: str) -> list[str] | None:
    """`services.wishlists.users_wishlisting(product_id)`, or None when that service is not available."""
    try:
        from services import wishlists  # noqa: PLC0415 - optional: provided by the wishlist change
        users_wishlisting = wishlists.users_wishlisting
    except (ImportError, AttributeError):
        log.warning("services.wishlists.users_wishlisting is not available; wishlist event has no recipients")
        return None
    return list(users_wishlisting(product_id))


def _active_users(user_ids) -> list[User]:
    ids = list(dict.fromkeys(i for i in user_ids if i))
    if not ids:
        return []
    return list(User.select().where(User.id.in_(ids), User.is_active == True).order_by(User.id))  # noqa: E712


def resolve_event(event: str, subject_id: str, data: dict) -> tuple[list[Recipient], dict, str | None]:
    """Recipients and the shared template context for an event. Returns
    (recipients, context, skip_reason) where skip_reason explains an empty recipient list."""
    context = {"shopName": SHOP_NAME, "event": event, "data": data or {}}
    if event in ORDER_EVENTS:
        order = Order.get_or_none(Order.id == subject_id)
        if order is None:
            return [], context, "subject_not_found"
        context.update(_order_context(order))
        if event == "order.paid":
            line = loyalty.earn_for_order(order.id)
            account = loyalty.LoyaltyAccount.get_or_none(loyalty.LoyaltyAccount.user == order.customer_id) \
                if order.customer_id else None
            context["pointsEarned"] = line.points if line else 0
            context["pointsBalance"] = account.points_balance if account else 0
        if order.customer_id:
            users = _active_users([order.customer_id])
            return [_user_recipient(u) for u in users], context, None if users else "recipient_inactive"
        name = (order.shipping_address or {}).get("firstName") or order.customer_email.split("@")[0]
        return [Recipient(user=None, email=order.customer_email, name=name)], context, None
    if event == "stock.low":
        variant = Variant.get_or_none(Variant.id == subject_id)
        if variant is None:
            return [], context, "subject_not_found"
        product = Product.get_or_none(Product.id == variant.product_id)
        context.update({"variant": {"id": variant.id, "name": variant.name, "sku": variant.sku},
                        "product": {"id": variant.product_id, "name": product.name if product else ""},
                        "quantity": (data or {}).get("quantity"), "threshold": (data or {}).get("threshold")})
        staff = list(User.select().where(User.role.in_(("staff", "admin")), User.is_active == True)  # noqa: E712
                     .order_by(User.id))
        return [_user_recipient(u) for u in staff], context, None if staff else "no_staff"
    if event in ("wishlist.price_drop", "wishlist.back_in_stock"):
        product = _product_for_subject(subject_id)
        if product is None:
            return [], context, "subject_not_found"
        context["product"] = {"id": product.id, "name": product.name, "handle": product.handle,
                              "price": product.price, "compareAtPrice": product.compare_at_price,
                              "currency": product.currency}
        ids = _wishlisting_user_ids(product.id)
        if ids is None:
            return [], context, "wishlists_unavailable"
        users = _active_users(ids)
        return [_user_recipient(u) for u in users], context, None if users else "no_recipients"
    if event == "loyalty.points_reminder":
        users = _active_users([subject_id])
        if not users:
            return [], context, "subject_not_found"
        account = loyalty.LoyaltyAccount.get_or_none(loyalty.LoyaltyAccount.user == subject_id)
        context["points"] = account.points_balance if account else 0
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
            notification_id = new_id("ntf")
            child = jobs.create_job("notification_send", {"notificationId": notification_id},
                                    owner_id=owner_id, parent_id=source_job.id)
            to = recipient.user.id if channel == "in_app" else (
                recipient.user.phone.replace(" ", "") if channel == "sms" else recipient.email)
            now = utcnow()
            rows.append({"id": notification_id, "user": recipient.user.id if recipient.user else None,
                         "channel": channel, "recipient": to, "dedupe_key": dedupe_key,
                         "source_job_id": source_job.id, "send_job_id": child.id,
                         "created_at": now, "updated_at": now, **fields})
            created += 1
        if rows:
            Notification.insert_many(rows).execute()
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
    recipients, context, skipped = resolve_event(event, subject_id, data)
    total = len(recipients)
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
            if recipient.user is None:
                channels = ["email"] if "email" in spec.channels and recipient.email else []
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


# ---------------------------------------------------------------------------------------------------------------
# Sending


def _record_failure(notification_id: str, marker, error: str, final: bool) -> None:
    """Clear our in-flight marker and record `error`; status failed when `final`, else pending."""
    Notification.update(status="failed" if final else "pending", error=error[:2000], send_started_at=None,
                        updated_at=utcnow()).where(
        Notification.id == notification_id, Notification.status == "pending",
        Notification.send_started_at == marker).execute()


def send_notification_job(job: Job, ctx: JobContext) -> dict:
    """`notification_send` handler: payload `{"notificationId"}`. Renders and sends the
    notification once (see the module docstring for the guarantees).

    Returns `{"notificationId", "channel", "status", "provider", "providerMessageId"}`
    (plus `"skipped": "already_sent"` for a notification sent before). Raises
    TransientError (retried), ProviderRejected / DomainError (not retried) and
    NotFound for a missing notification.
    """
    notification_id = (job.payload or {}).get("notificationId")
    notification = Notification.get_or_none(Notification.id == notification_id)
    if notification is None:
        raise NotFound("Notification not found", reason="notification_not_found")

    def result(n: Notification, **extra) -> dict:
        return {"notificationId": n.id, "channel": n.channel, "status": n.status, "provider": n.provider,
                "providerMessageId": n.provider_message_id, "retryCount": n.retry_count, **extra}

    if notification.status == "sent":
        return result(notification, skipped="already_sent")
    final_attempt = job.attempts >= job.max_attempts
    if notification.send_started_at is not None:
        _settle_abandoned_attempt(notification)
    try:
        rendered = render(notification.template, notification.context or {})
    except DomainError as exc:
        Notification.update(status="failed", error=exc.message[:2000], updated_at=utcnow()).where(
            Notification.id == notification.id, Notification.status != "sent").execute()
        raise
    provider = provider_for(notification.channel)
    is_email = notification.channel == "email"
    subject = rendered.subject
    body = rendered.text if is_email else rendered.short
    marker = utcnow()
    claimed = Notification.update(
        status="pending", send_started_at=marker, attempts=Notification.attempts + 1,
        retry_count=Notification.attempts, provider=provider.name, subject=subject, body=body,
        html=rendered.html if is_email else None, updated_at=marker,
    ).where(Notification.id == notification.id, Notification.status.in_(("pending", "failed")),
            Notification.send_started_at.is_null()).execute()
    if not claimed:
        fresh = Notification.get_by_id(notification.id)
        if fresh.status == "sent":
            return result(fresh, skipped="already_sent")
        raise TransientError("Another worker is sending this notification")
    message = OutgoingMessage(notification_id=notification.id, channel=notification.channel,
                              to=notification.recipient, subject=subject, text=body,
                              html=rendered.html if is_email else None)
    try:
        message_id = provider.send(message)
    except TransientError as exc:
        _record_failure(notification.id, marker, str(exc), final=final_attempt)
        raise
    except ProviderRejected as exc:
        _record_failure(notification.id, marker, exc.message, final=True)
        raise
    except BaseException as exc:  # noqa: BLE001 - a bug or a time limit mid-call: outcome unknown
        _record_failure(notification.id, marker, f"Delivery outcome unknown ({type(exc).__name__}: {exc}); "
                                                 "not retried to avoid a duplicate", final=True)
        raise DomainError("Delivery outcome unknown; not retried to avoid a duplicate",
                          reason="delivery_outcome_unknown") from exc
    now = utcnow()
    recorded = Notification.update(status="sent", sent_at=now, provider_message_id=message_id, error=None,
                                   send_started_at=None, updated_at=now).where(
        Notification.id == notification.id, Notification.status == "pending",
        Notification.send_started_at == marker).execute()
    if not recorded:  # cannot happen while the marker is ours; report what the row says
        return result(Notification.get_by_id(notification.id))
    attempts = notification.attempts + 1
    return {"notificationId": notification.id, "channel": notification.channel, "status": "sent",
            "provider": provider.name, "providerMessageId": message_id, "retryCount": attempts - 1}


def _settle_abandoned_attempt(notification: Notification) -> None:
    """A previous attempt set the in-flight marker and never recorded an outcome.

    Younger than the job lease: another worker may still be in the call, so retry later
    (TransientError). Older: that worker died mid-call and the message may or may not
    have gone out, so the notification fails (`delivery_outcome_unknown`) rather than
    risk a duplicate.
    """
    age = (utcnow() - notification.send_started_at).total_seconds()
    if age < config.get().job_lease_seconds:
        raise TransientError("A previous attempt may still be sending this notification")
    Notification.update(status="failed", send_started_at=None, updated_at=utcnow(),
                        error="Delivery outcome unknown: a worker stopped during the provider call; "
                              "not retried to avoid a duplicate").where(
        Notification.id == notification.id, Notification.status == "pending",
        Notification.send_started_at == notification.send_started_at).execute()
    raise DomainError("Delivery outcome unknown; not retried to avoid a duplicate",
                      reason="delivery_outcome_unknown")


# ---------------------------------------------------------------------------------------------------------------
# Admin: direct messages and bulk


def _target(channel: str, user_id: str | None, to: str | None) -> tuple[User | None, str]:
    """The user and address of a direct message. Raises ValidationFailed (422)."""
    if bool(user_id) == bool(to):
        raise ValidationFailed("Give exactly one of userId and to", reason="recipient_required",
                               details=[{"field": "userId", "message": "Exactly one of userId and to"}])
    if user_id:
        user = User.get_or_none(User.id == user_id)
        if user is None:
            raise ValidationFailed("No such user", reason="unknown_user",
                                   details=[{"field": "userId", "message": "No such user"}])
        if channel == "sms":
            phone = (user.phone or "").replace(" ", "")
            if not E164.match(phone):
                raise ValidationFailed("The user has no phone number for SMS", reason="no_phone",
                                       details=[{"field": "userId", "message": "User has no E.164 phone number"}])
            return user, phone
        return user, user.email
    if channel == "sms" and not E164.match(to):
        raise ValidationFailed("Phone numbers must be E.164 (+15551234567)", reason="invalid_phone",
                               details=[{"field": "to", "message": "E.164 phone number"}])
    return None, to


def start_direct(admin: User, channel: str, user_id: str | None, to: str | None, subject: str,
                 message: str) -> Job:
    """Admin custom email or SMS (seed 001 `POST /notifications/email|sms`): one Notification
    (template `custom`, no preference filtering: it is an explicit message to one
    recipient) and its `notification_send` job. Call inside a transaction. Raises
    ValidationFailed (422) for a missing user, a user without a phone, a bad number."""
    user, address = _target(channel, user_id, to)
    notification_id = new_id("ntf")
    job = jobs.create_job("notification_send", {"notificationId": notification_id}, owner_id=admin.id)
    name = (user.first_name if user else "") or address.split("@")[0]
    Notification.create(
        id=notification_id, user=user.id if user else None, channel=channel, recipient=address, event="custom",
        category="direct", level="info", template=DIRECT_TEMPLATE, subject_id=None,
        context={"shopName": SHOP_NAME, "subject": subject, "message": message, "recipientName": name,
                 "channel": channel, "sentBy": admin.id},
        dedupe_key=f"direct:{notification_id}", source_job_id=job.id, send_job_id=job.id)
    return job


BULK_AUDIENCES = ("customers", "staff", "admins", "all")


def _audience_query(audience: str):
    query = User.select().where(User.is_active == True)  # noqa: E712
    if audience == "customers":
        query = query.where(User.role == "customer")
    elif audience == "staff":
        query = query.where(User.role.in_(("staff", "admin")))
    elif audience == "admins":
        query = query.where(User.role == "admin")
    return query


def start_bulk(admin: User, audience: str, channels: list[str], category: str, subject: str, message: str) -> Job:
    """Admin bulk message (seed 001 `POST /notifications/bulk`): a `notification_bulk` job
    owned by the admin. `audience` customers|staff|admins|all (active users);
    `category` announcements|marketing (users' category switches apply). Call inside
    a transaction. Raises ValidationFailed (422) for an unknown audience, channel or category."""
    if audience not in BULK_AUDIENCES:
        raise ValidationFailed("Unknown audience", reason="unknown_audience",
                               details=[{"field": "audience", "message": f"One of {', '.join(BULK_AUDIENCES)}"}])
    if not channels or any(c not in CHANNELS for c in channels):
        raise ValidationFailed("Unknown channel", reason="unknown_channel",
                               details=[{"field": "channels", "message": f"Non-empty subset of {CHANNELS}"}])
    if category not in ("announcements", "marketing"):
        raise ValidationFailed("Unknown category", reason="unknown_category",
                               details=[{"field": "category", "message": "announcements or marketing"}])
    total = _audience_query(audience).count()
    return jobs.create_job("notification_bulk", {"audience": audience, "channels": list(dict.fromkeys(channels)),
                                                 "category": category, "subject": subject, "message": message,
                                                 "sentBy": admin.id},
                           owner_id=admin.id, total=total)


def run_bulk_job(job: Job, ctx: JobContext) -> dict:
    """`notification_bulk` handler: one notification per user of the audience and allowed
    channel, in batches of `FANOUT_BATCH` users (keyset by user id), progress per batch.
    Idempotent (dedupe key `{job id}:{user id}:{channel}`).

    Returns `{"audience", "users", "notifications", "existing", "usersSkipped", "byChannel"}`.
    """
    p = job.payload or {}
    audience, channels, category = p.get("audience", "customers"), tuple(p.get("channels") or ()), p.get("category")
    total = _audience_query(audience).count()
    ctx.progress(0, total, f"{total} user(s)")
    done = created = existing = skipped_users = 0
    by_channel: dict[str, int] = {}
    last_id = ""
    while True:
        users = list(_audience_query(audience).where(User.id > last_id).order_by(User.id).limit(FANOUT_BATCH))
        if not users:
            break
        last_id = users[-1].id
        rows = {row.user_id: row for row in
                NotificationPreference.select().where(NotificationPreference.user.in_([u.id for u in users]))}
        plans = []
        for user in users:
            chosen = channels_for(user, channels, category, preferences_of(user.id, rows.get(user.id)))
            if not chosen:
                skipped_users += 1
            recipient = _user_recipient(user)
            for channel in chosen:
                fields = {"event": "bulk", "category": category, "level": "info", "template": BULK_TEMPLATE,
                          "subject_id": job.id,
                          "context": {"shopName": SHOP_NAME, "subject": p.get("subject", ""),
                                      "message": p.get("message", ""), "recipientName": recipient.name,
                                      "channel": channel, "category": category}}
                plans.append((f"{job.id}:{user.id}:{channel}", recipient, channel, fields))
                by_channel[channel] = by_channel.get(channel, 0) + 1
        batch_created, batch_existing = _write_batch(job, plans)
        created += batch_created
        existing += batch_existing
        done += len(users)
        ctx.progress(done, max(total, done), f"{done} of {max(total, done)} user(s), {created} notification(s)")
    return {"audience": audience, "users": done, "notifications": created, "existing": existing,
            "usersSkipped": skipped_users, "byChannel": by_channel}


# ---------------------------------------------------------------------------------------------------------------
# Reading: in-app list, mark read, history


def notification_view(n: Notification) -> dict:
    """History item (seed 001 Notification): id, userId, channel, event, category, template,
    recipient, subject, body, status, retryCount, attempts, provider, providerMessageId,
    error, jobId, sentAt, readAt, createdAt, updatedAt."""
    return {"id": n.id, "userId": n.user_id, "channel": n.channel, "event": n.event, "category": n.category,
            "template": n.template, "recipient": n.recipient, "subject": n.subject, "body": n.body,
            "status": n.status, "retryCount": n.retry_count, "attempts": n.attempts, "provider": n.provider,
            "providerMessageId": n.provider_message_id, "error": n.error, "jobId": n.send_job_id,
            "sentAt": isoformat(n.sent_at), "readAt": isoformat(n.read_at),
            "createdAt": isoformat(n.created_at), "updatedAt": isoformat(n.updated_at)}


def _in_app_data(n: Notification) -> dict:
    context = n.context or {}
    data = {"event": n.event}
    if n.subject_id:
        data["subjectId"] = n.subject_id
    order = context.get("order")
    if isinstance(order, dict):
        data.update({"orderId": order.get("id"), "orderNumber": order.get("number")})
    product = context.get("product")
    if isinstance(product, dict):
        data["productId"] = product.get("id")
    return data


def in_app_view(n: Notification) -> dict:
    """Seed 002 in-app notification: id, title, message, type (info|success|warning|error),
    category, data, isRead, readAt, createdAt."""
    return {"id": n.id, "title": n.subject, "message": n.body, "type": n.level, "category": n.category,
            "data": _in_app_data(n), "isRead": n.read_at is not None, "readAt": isoformat(n.read_at),
            "createdAt": isoformat(n.created_at)}


def _in_app_query(user: User):
    return Notification.select().where(Notification.user == user.id, Notification.channel == "in_app",
                                       Notification.status == "sent")


def list_in_app(user: User, unread_only: bool, page: int, limit: int) -> tuple[list[Notification], int, int]:
    """The caller's delivered in-app notifications, newest first. Returns (rows, total, unread_count)."""
    query = _in_app_query(user)
    unread = query.where(Notification.read_at.is_null()).count()
    if unread_only:
        query = query.where(Notification.read_at.is_null())
    total = query.count()
    rows = list(query.order_by(Notification.created_at.desc(), Notification.id.desc()).paginate(page, limit))
    return rows, total, unread


def mark_read(user: User, notification_id: str) -> Notification:
    """Mark one of the caller's in-app notifications read (idempotent: keeps the first read
    time). Raises NotFound for an unknown id or anyone else's notification."""
    n = _in_app_query(user).where(Notification.id == notification_id).first()
    if n is None:
        raise NotFound("Notification not found", reason="notification_not_found")
    if n.read_at is None:
        Notification.update(read_at=utcnow(), updated_at=utcnow()).where(
            Notification.id == n.id, Notification.read_at.is_null()).execute()
        n = Notification.get_by_id(n.id)
    return n


def mark_all_read(user: User) -> int:
    """Mark every unread in-app notification of the caller read. Returns how many changed."""
    now = utcnow()
    return (Notification.update(read_at=now, updated_at=now)
            .where(Notification.user == user.id, Notification.channel == "in_app", Notification.status == "sent",
                   Notification.read_at.is_null()).execute())


def list_history(user: User, status: str | None, channel: str | None, event: str | None, user_id: str | None,
                 page: int, limit: int) -> tuple[list[Notification], int]:
    """Notification history, newest first: staff and admins see everyone's (optionally one
    user's), others only their own. Filters: status, channel, event. Returns (rows, total)."""
    query = Notification.select()
    if not user.is_staff:
        query = query.where(Notification.user == user.id)
    elif user_id:
        query = query.where(Notification.user == user_id)
    if status:
        query = query.where(Notification.status == status)
    if channel:
        query = query.where(Notification.channel == channel)
    if event:
        query = query.where(Notification.event == event)
    total = query.count()
    return list(query.order_by(Notification.created_at.desc(), Notification.id.desc()).paginate(page, limit)), total

