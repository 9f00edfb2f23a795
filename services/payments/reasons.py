"""Payments' stable error reasons (Stripe and its webhooks), reason -> meaning."""

REASONS = {
    "bad_payload": "The webhook body is not a JSON event object",
    "bad_signature": "Stripe-Signature does not match the body, or its timestamp is out of tolerance",
    "missing_signature": "The webhook has no Stripe-Signature header",
    "stripe_disabled": "Card payments are not enabled on this shop",
    "stripe_error": "Stripe refused the call",
    "stripe_invalid_request": "Stripe rejected the request as invalid",
    "webhook_not_configured": "STRIPE_WEBHOOK_SECRET is not set",
}
