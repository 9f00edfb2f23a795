"""Recommendations' stable error reasons, reason -> meaning."""

REASONS = {
    "insufficient_data": "Too few interactions to train",
    "invalid_option": "Unknown or out-of-range training option",
}
