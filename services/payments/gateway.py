"""Stripe through the official SDK: PaymentIntents with fixed idempotency keys, and
webhook signature checks.

Keys are derived from our ids (`order:{id}:payment_intent`,
`order:{id}:confirm:{pm}`, `order:{id}:void`, `order:{id}:refund`, a staff refund's
`order:{id}:refund:{refund id}`), never
random, so a retried job cannot create, confirm, void or refund twice. SDK
errors are mapped: network errors, rate limits, 409 (a concurrent request with
the same key) and 5xx -> TransientError (the job retries); card declines and
invalid requests -> PaymentFailed (402, no retry).
"""

from __future__ import annotations

import json
import time

import stripe

import config
from services.errors import AuthenticationFailed, PaymentFailed, TransientError, ValidationFailed

WEBHOOK_TOLERANCE_SECONDS = 300


def _configure() -> None:
    settings = config.get()
    if not settings.stripe_enabled:
        raise ValidationFailed("Stripe payments are not enabled on this shop", reason="stripe_disabled")
    stripe.api_key = settings.stripe_secret_key
    if settings.stripe_api_base:
        stripe.api_base = settings.stripe_api_base
    stripe.max_network_retries = 0  # the job platform retries


def call(fn, *args, **kwargs):
    """`fn(*args, **kwargs)` through the configured SDK, its errors mapped (see the module docstring)."""
    _configure()
    try:
        return fn(*args, **kwargs)
    except stripe.CardError as exc:
        error = getattr(exc, "error", None)
        decline = getattr(error, "decline_code", None) or exc.code or "card_declined"
        raise PaymentFailed(exc.user_message or "Card declined", reason=exc.code or "card_declined",
                            decline_code=decline) from None
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        raise TransientError(f"stripe unavailable: {exc}") from exc
    except stripe.InvalidRequestError as exc:
        raise PaymentFailed(f"Stripe rejected the request: {exc.user_message or exc}",
                            reason="stripe_invalid_request") from None
    except stripe.StripeError as exc:
        # 409: a concurrent request with the same idempotency key is still in flight (retry it)
        if exc.http_status is None or exc.http_status >= 500 or exc.http_status == 409:
            raise TransientError(f"stripe error {exc.http_status}: {exc}") from exc
        raise PaymentFailed(f"Stripe error: {exc.user_message or exc}", reason="stripe_error") from None


def create_payment_intent(order_id: str, amount: int, currency: str, metadata: dict) -> stripe.PaymentIntent:
    """Create the order's PaymentIntent (`amount` in minor units) with key `order:{id}:payment_intent`."""
    return call(stripe.PaymentIntent.create, amount=amount, currency=currency.lower(), metadata=metadata,
                idempotency_key=f"order:{order_id}:payment_intent")


def retrieve_payment_intent(intent_id: str) -> stripe.PaymentIntent:
    return call(stripe.PaymentIntent.retrieve, intent_id)


def confirm_payment_intent(order_id: str, intent_id: str, payment_method_id: str,
                           customer_id: str | None = None) -> stripe.PaymentIntent:
    """Attach `payment_method_id` (a saved method: with the Stripe Customer `customer_id` it is
    attached to) and confirm; returns the PaymentIntent as Stripe reports it."""
    intent = retrieve_payment_intent(intent_id)
    if intent.status == "requires_payment_method" or (
            intent.status == "requires_confirmation" and intent.payment_method != payment_method_id):
        changes = {"payment_method": payment_method_id, **({"customer": customer_id} if customer_id else {})}
        intent = call(stripe.PaymentIntent.modify, intent_id, **changes,
                      idempotency_key=f"order:{order_id}:attach:{payment_method_id}")
    if intent.status == "requires_confirmation":
        intent = call(stripe.PaymentIntent.confirm, intent_id,
                      idempotency_key=f"order:{order_id}:confirm:{payment_method_id}")
    return intent


def cancel_payment_intent(intent_id: str) -> stripe.PaymentIntent:
    return call(stripe.PaymentIntent.cancel, intent_id)


VOIDABLE_STATUSES = ("requires_payment_method", "requires_confirmation", "requires_action", "requires_capture")
SETTLED_REFUND_STATUSES = ("failed", "canceled")  # a refund in these states gave nothing back


def _refund_dict(refund) -> dict:
    return {"id": refund.id, "amount": refund.amount, "currency": str(refund.currency).upper(),
            "status": refund.status}


def _metadata(obj) -> dict:
    metadata = getattr(obj, "metadata", None)
    if metadata is None:
        return {}
    return metadata.to_dict() if hasattr(metadata, "to_dict") else dict(metadata)


def _existing_refund(order_id: str, intent_id: str, amount: int):
    """A refund already made on the PaymentIntent: ours (metadata orderId), else any refunds that
    together return the whole `amount` (e.g. from the Stripe dashboard). Returns (refund, remaining):
    `refund` is that refund or None, `remaining` the amount not yet refunded."""
    refunds = [r for r in call(stripe.Refund.list, payment_intent=intent_id, limit=100).data
               if r.status not in SETTLED_REFUND_STATUSES]
    ours = next((r for r in refunds if _metadata(r).get("orderId") == order_id
                 and not _metadata(r).get("refundId")), None)  # staff refunds carry their refundId
    remaining = amount - sum(r.amount for r in refunds)
    if ours is not None:
        return ours, 0
    if refunds and remaining <= 0:
        return refunds[0], 0
    return None, remaining


def void_or_refund(order_id: str, intent_id: str, reason: str | None = None) -> dict:
    """Give the customer's money back for a cancelled order, at most once.

    Re-reads the PaymentIntent: not yet paid (requires_* statuses) -> cancel it
    (key `order:{id}:void`); succeeded -> the refund already made for this order if
    there is one (found on Stripe by `metadata.orderId`, so a retry even after the
    idempotency key expired never refunds twice), else `stripe.Refund.create` for the
    amount not yet refunded with the fixed key `order:{id}:refund` and metadata
    `{"orderId", "reason"}`; already canceled or still processing -> nothing to do.
    Returns `{"action": "voided" | "refunded" | "none", "status": <intent status>,
    "refundId": str | None, "refund": {"id", "amount" (minor units), "currency", "status"} | None}`.
    Raises TransientError / PaymentFailed like every call.
    """
    intent = retrieve_payment_intent(intent_id)
    if intent.status in VOIDABLE_STATUSES:
        try:
            intent = call(stripe.PaymentIntent.cancel, intent_id,
                          idempotency_key=f"order:{order_id}:void")
        except PaymentFailed:  # refused: fine if a concurrent void got there first, else a real refusal
            intent = retrieve_payment_intent(intent_id)
            if intent.status != "canceled":
                raise
        return {"action": "voided", "status": intent.status, "refundId": None, "refund": None}
    if intent.status == "succeeded":
        captured = getattr(intent, "amount_received", None) or intent.amount
        refund, remaining = _existing_refund(order_id, intent_id, captured)
        if refund is None:
            metadata = {"orderId": order_id, **({"reason": reason} if reason else {})}
            refund = call(stripe.Refund.create, payment_intent=intent_id, amount=remaining, metadata=metadata,
                          idempotency_key=f"order:{order_id}:refund")
        return {"action": "refunded", "status": intent.status, "refundId": refund.id, "refund": _refund_dict(refund)}
    return {"action": "none", "status": intent.status, "refundId": None, "refund": None}


def refund_amount(order_id: str, intent_id: str, refund_id: str, amount: int, reason: str | None = None) -> dict:
    """A staff refund (full or partial) of `amount` minor units of a captured PaymentIntent, once:
    the refund already made for `refund_id` if Stripe has one (found by `metadata.refundId`), else
    `stripe.Refund.create` with the fixed key `order:{order id}:refund:{refund id}` and metadata
    `{"orderId", "refundId", "reason"}`. Returns `{"id", "amount", "currency", "status"}`. Raises
    PaymentFailed (the intent is not captured, or Stripe refuses: e.g. more than is left) and
    TransientError like every call."""
    existing = [r for r in call(stripe.Refund.list, payment_intent=intent_id, limit=100).data
                if _metadata(r).get("refundId") == refund_id]
    if existing:
        return _refund_dict(existing[0])
    metadata = {"orderId": order_id, "refundId": refund_id, **({"reason": reason} if reason else {})}
    refund = call(stripe.Refund.create, payment_intent=intent_id, amount=amount, metadata=metadata,
                  idempotency_key=f"order:{order_id}:refund:{refund_id}")
    return _refund_dict(refund)


def retrieve_refund(refund_id: str) -> dict:
    """Stripe's current view of refund `refund_id` (`re_...`): `{"id", "amount", "currency", "status"}`."""
    return _refund_dict(call(stripe.Refund.retrieve, refund_id))


def card_fingerprint(intent_id: str) -> dict | None:
    """The card behind a PaymentIntent: `{"fingerprint", "brand", "last4", "country"}` or None
    when no card is attached yet. Uses Stripe's `card.fingerprint` when given; otherwise
    (localstripe, some test modes) a stand-in `sha256(brand|last4|exp_month|exp_year)`."""
    import hashlib

    intent = retrieve_payment_intent(intent_id)
    pm_id = intent.get("payment_method") if hasattr(intent, "get") else getattr(intent, "payment_method", None)
    if not pm_id:
        return None
    if not isinstance(pm_id, str):
        pm_id = pm_id["id"]
    method = call(stripe.PaymentMethod.retrieve, pm_id)
    card = method.get("card") if hasattr(method, "get") else None
    if not card:
        return None
    fingerprint = card.get("fingerprint")
    if not fingerprint:
        raw = f"{card.get('brand')}|{card.get('last4')}|{card.get('exp_month')}|{card.get('exp_year')}"
        fingerprint = "fp_" + hashlib.sha256(raw.encode()).hexdigest()[:32]
    return {"fingerprint": fingerprint, "brand": card.get("brand"), "last4": card.get("last4"),
            "country": card.get("country")}


def verify_webhook(payload: bytes, signature_header: str | None) -> dict:
    """The event dict if `Stripe-Signature` is valid for the raw `payload` and its
    timestamp is within 300 s (past or future). Raises AuthenticationFailed (400) for a bad
    signature and ValidationFailed (400 `bad_payload`) for a signed body that is not a JSON
    event object (`{"id": str, "type": str, ...}`: an array, a string, no id...)."""
    secret = config.get().stripe_webhook_secret
    if not secret:
        raise ValidationFailed("Stripe webhooks are not configured", reason="webhook_not_configured")
    if not signature_header:
        raise AuthenticationFailed("Missing Stripe-Signature header", reason="missing_signature", status=400)
    try:
        timestamp = int(dict(part.split("=", 1) for part in signature_header.split(",") if "=" in part)["t"])
    except (KeyError, ValueError):
        raise AuthenticationFailed("Malformed Stripe-Signature header", reason="bad_signature", status=400) from None
    if timestamp > time.time() + WEBHOOK_TOLERANCE_SECONDS:
        raise AuthenticationFailed("Stripe-Signature timestamp is in the future", reason="bad_signature", status=400)
    try:
        stripe.WebhookSignature.verify_header(payload, signature_header, secret,
                                              tolerance=WEBHOOK_TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError:
        raise AuthenticationFailed("Invalid Stripe signature", reason="bad_signature", status=400) from None
    try:
        event = json.loads(payload)
    except (ValueError, RecursionError):
        raise ValidationFailed("Webhook payload is not valid JSON", reason="bad_payload", status=400) from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise ValidationFailed("Webhook payload is not a Stripe event object", reason="bad_payload", status=400,
                               details=[{"field": "body", "message": "An object with string id and type"}])
    return event
