"""Stripe SDK errors become retryable or final outcomes; voids tolerate a concurrent void."""

import pytest
import stripe

from services import payments
from services.errors import PaymentFailed, TransientError


def test_a_409_from_stripe_a_concurrent_request_with_the_same_key_is_retried(stripe_ready, monkeypatch):
    def in_flight(*args, **kwargs):
        raise stripe.APIError("There is currently another in-progress request using this Idempotent Key",
                              http_status=409)

    monkeypatch.setattr(stripe.PaymentIntent, "retrieve", in_flight)
    with pytest.raises(TransientError):
        payments.retrieve_payment_intent("pi_any")


def test_a_void_refused_because_a_concurrent_void_won_counts_as_voided(stripe_ready, monkeypatch):
    intent = stripe.PaymentIntent.create(amount=1000, currency="usd")
    real_retrieve = stripe.PaymentIntent.retrieve
    reads = []

    def stale_first(intent_id, *args, **kwargs):  # the first read races the other job's cancel
        reads.append(intent_id)
        fresh = real_retrieve(intent_id, *args, **kwargs)
        if len(reads) == 1:
            stripe.PaymentIntent.cancel(intent_id)
        return fresh

    monkeypatch.setattr(stripe.PaymentIntent, "retrieve", stale_first)
    outcome = payments.void_or_refund("ord_concurrent", intent.id)
    assert (outcome["action"], outcome["status"]) == ("voided", "canceled")


def test_a_void_stripe_refuses_for_another_reason_still_fails(stripe_ready, monkeypatch):
    intent = stripe.PaymentIntent.create(amount=1000, currency="usd")

    def refuse(*args, **kwargs):
        raise stripe.InvalidRequestError("You cannot cancel this PaymentIntent", param=None)

    monkeypatch.setattr(stripe.PaymentIntent, "cancel", refuse)
    with pytest.raises(PaymentFailed):
        payments.void_or_refund("ord_refused", intent.id)
