"""Notifications' stable error reasons, reason -> meaning."""

REASONS = {
    "delivery_outcome_unknown": "A worker stopped during the provider call: not retried, to avoid a duplicate",
    "invalid_phone": "A phone number is not E.164",
    "no_phone": "The user has no phone number for SMS",
    "notification_not_found": "No notification with this id (of the caller's)",
    "provider_rejected": "The email or SMS provider refused the message (4xx other than 429)",
    "recipient_required": "Give exactly one of userId and to",
    "template_error": "A notification template could not be rendered",
    "unknown_audience": "Unknown bulk audience",
    "unknown_category": "Unknown notification category",
    "unknown_channel": "Unknown notification channel",
    "unknown_event": "Unknown event type",
    "unknown_user": "No such user",
}
