"""Payments' stable error reasons (Stripe and its webhooks), reason -> meaning."""

REASONS = {
    "bad_payload": "The webhook body is not a JSON event object",
    "one_click_incomplete": "One-click checkout needs a saved card and a saved address",
    "one_click_token_invalid": "The one-click security token is wrong, or the card or address changed since it "
                               "was issued",
    "payment_method_not_found": "No such saved payment method of yours",
    "payment_method_source": "Give exactly one of paymentMethodId and setupIntentId",
    "payment_method_taken": "The card is saved by another customer",
    "setup_intent_not_found": "No such SetupIntent of yours",
    "setup_intent_not_succeeded": "The SetupIntent has not been confirmed with a card yet",
    "too_many_payment_methods": "The customer has saved the maximum number of payment methods",
    "bad_signature": "Stripe-Signature does not match the body, or its timestamp is out of tolerance",
    "missing_signature": "The webhook has no Stripe-Signature header",
    "stripe_disabled": "Card payments are not enabled on this shop",
    "stripe_error": "Stripe refused the call",
    "stripe_invalid_request": "Stripe rejected the request as invalid",
    "webhook_not_configured": "STRIPE_WEBHOOK_SECRET is not set",
    "card_amount_below_minimum": "The card would be charged less than Stripe's minimum for the currency (a small "
                                 "order, or a walletAmount leaving too little): pay more by card, or all by wallet",
}
