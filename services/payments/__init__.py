"""Payments: Stripe through the official SDK (PaymentIntents with fixed idempotency keys,
refunds, voids, card fingerprints, webhook signatures), the order's PaymentIntent, and
stored webhook events dispatched to the handlers the reacting packages register.

Modules: `gateway` (every Stripe call, errors mapped to PaymentFailed / TransientError),
`intents` (the order's PaymentIntent), `webhooks` (events and their handlers). This
package knows orders only as rows: moving an order forward is `services.orders`'s job.
"""

from services.payments.gateway import (VOIDABLE_STATUSES, cancel_payment_intent, card_fingerprint,
                                       confirm_payment_intent, create_payment_intent, refund_amount,
                                       retrieve_payment_intent, verify_webhook, void_or_refund)
from services.payments.intents import ensure_payment_intent, plain
from services.payments.reasons import REASONS
from services.payments.webhooks import (DISPUTE_EVENTS, HANDLED_EVENTS, PAYMENT_INTENT_EVENTS, NoStripeHandler,
                                        on_stripe_event, payment_of, record_stripe_event, run_stripe_event_job)

__all__ = [
    "DISPUTE_EVENTS", "HANDLED_EVENTS", "PAYMENT_INTENT_EVENTS", "REASONS", "VOIDABLE_STATUSES", "NoStripeHandler",
    "cancel_payment_intent", "card_fingerprint", "confirm_payment_intent", "create_payment_intent",
    "ensure_payment_intent", "on_stripe_event", "payment_of", "plain", "record_stripe_event", "refund_amount",
    "retrieve_payment_intent",
    "run_stripe_event_job", "verify_webhook", "void_or_refund",
]
