"""Stripe Customers, SetupIntents and attached PaymentMethods, through the official SDK (saved
payment methods, services.payments.saved_methods).

Idempotency keys come from our ids, never random: `customer:{user id}:stripe_customer`,
`customer:{user id}:setup:{job id}`, `customer:{user id}:attach:{pm id}`,
`customer:{user id}:detach:{pm id}`. Errors are mapped as in services.payments.gateway.
"""

from __future__ import annotations

import stripe

from services.payments.gateway import call
from services.payments.intents import plain


def create_customer(user_id: str, email: str | None) -> stripe.Customer:
    """The Stripe Customer of Cartwheel user `user_id` (created once per user id)."""
    return call(stripe.Customer.create, email=email, metadata={"userId": user_id},
                idempotency_key=f"customer:{user_id}:stripe_customer")


def create_setup_intent(user_id: str, customer_id: str, job_id: str) -> stripe.SetupIntent:
    """A SetupIntent saving a card for later (`usage="off_session"`) on Customer `customer_id`;
    the storefront confirms it with its `client_secret` (Stripe.js), then saves the method."""
    return call(stripe.SetupIntent.create, customer=customer_id, usage="off_session",
                metadata={"userId": user_id}, idempotency_key=f"customer:{user_id}:setup:{job_id}")


def retrieve_setup_intent(setup_intent_id: str) -> stripe.SetupIntent:
    return call(stripe.SetupIntent.retrieve, setup_intent_id)


def retrieve_payment_method(payment_method_id: str) -> stripe.PaymentMethod:
    return call(stripe.PaymentMethod.retrieve, payment_method_id)


def attach_payment_method(user_id: str, payment_method_id: str, customer_id: str) -> stripe.PaymentMethod:
    """Attach PaymentMethod `payment_method_id` to Customer `customer_id`. Raises PaymentFailed
    (402, e.g. `card_declined`: Stripe checks the card when attaching)."""
    return call(stripe.PaymentMethod.attach, payment_method_id, customer=customer_id,
                idempotency_key=f"customer:{user_id}:attach:{payment_method_id}")


def detach_payment_method(user_id: str, payment_method_id: str) -> stripe.PaymentMethod:
    return call(stripe.PaymentMethod.detach, payment_method_id,
                idempotency_key=f"customer:{user_id}:detach:{payment_method_id}")


def card_details(method) -> dict:
    """What a customer recognises a card by: `{"brand", "last4", "expMonth", "expYear",
    "fingerprint"}` (values None when the PaymentMethod is not a card)."""
    card = plain(method).get("card") or {}
    return {"brand": card.get("brand"), "last4": card.get("last4"), "expMonth": card.get("exp_month"),
            "expYear": card.get("exp_year"), "fingerprint": card.get("fingerprint")}
