"""Payments: Stripe through the official SDK (PaymentIntents with fixed idempotency keys,
refunds, voids, card fingerprints, webhook signatures), the order's PaymentIntent, and
stored webhook events dispatched to the handlers the reacting packages register.

Modules: `gateway` (every Stripe call, errors mapped to PaymentFailed / TransientError),
`intents` (the order's PaymentIntent), `webhooks` (events and their handlers),
`stripe_customers` (Customers, SetupIntents, attached cards), `saved_methods` (a customer's
saved cards and their jobs), `one_click` (one-click checkout settings and security token). This
package knows orders only as rows: moving an order forward is `services.orders`'s job.
"""

from services.payments.charge_minimums import MINIMUM_CHARGE, check_card_amount, minimum_charge
from services.payments.gateway import (VOIDABLE_STATUSES, cancel_payment_intent, card_fingerprint,
                                       confirm_payment_intent, create_payment_intent, refund_amount, retrieve_refund,
                                       retrieve_payment_intent, verify_webhook, void_or_refund)
from services.payments.intents import ensure_payment_intent, plain
from services.payments.one_click import OneClickTarget
from services.payments.one_click import configure as configure_one_click
from services.payments.one_click import settings_view as one_click_view
from services.payments.one_click import verify as verify_one_click
from services.payments.saved_methods import (charge_target, delete_method, list_methods, method_view, own_method,
                                             run_detach_job, run_save_job, run_setup_job, save_method, set_default,
                                             start_save, start_setup)
from services.payments.reasons import REASONS
from services.payments.webhooks import (DISPUTE_EVENTS, HANDLED_EVENTS, PAYMENT_INTENT_EVENTS, REFUND_EVENTS,
                                        NoStripeHandler, on_stripe_event, payment_of, record_stripe_event,
                                        run_stripe_event_job)

__all__ = [
    "MINIMUM_CHARGE", "check_card_amount", "minimum_charge",
    "OneClickTarget", "charge_target", "configure_one_click", "delete_method", "list_methods", "method_view",
    "one_click_view", "own_method", "run_detach_job", "run_save_job", "run_setup_job", "save_method",
    "set_default", "start_save", "start_setup", "verify_one_click",
    "DISPUTE_EVENTS", "HANDLED_EVENTS", "PAYMENT_INTENT_EVENTS", "REFUND_EVENTS", "REASONS", "VOIDABLE_STATUSES",
    "NoStripeHandler",
    "cancel_payment_intent", "card_fingerprint", "confirm_payment_intent", "create_payment_intent",
    "ensure_payment_intent", "on_stripe_event", "payment_of", "plain", "record_stripe_event", "refund_amount",
    "retrieve_payment_intent", "retrieve_refund",
    "run_stripe_event_job", "verify_webhook", "void_or_refund",
]
