"""Fraud's stable error reasons, reason -> meaning."""

REASONS = {
    "fraud_assessment_not_found": "The order has not been assessed yet",
    "fraud_rule_not_found": "No fraud rule with this id",
    "invalid_rule": "The rule text does not parse",
    "invalid_rule_order": "A reorder must list every rule exactly once",
    "not_enough_training_data": "Too few labelled orders to train a fraud model",
    "not_in_review": "The order is not awaiting a fraud review",
    "order_not_cancelled": "Only a cancelled order is refunded",
}
