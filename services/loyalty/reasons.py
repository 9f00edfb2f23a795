"""The loyalty package's stable error reasons, reason -> meaning."""

REASONS = {
    "base_tier_required": "The base tier bronze (minPoints 0, active) cannot be deleted, renamed, moved or deactivated",
    "insufficient_points": "The points balance is lower than the points to redeem",
    "invalid_tier_benefits": "Tier benefits are at most 20 texts of 1-200 characters",
    "invalid_tier_min_points": "A tier's minPoints is an integer from 0 to 100000000",
    "invalid_tier_multiplier": "A tier multiplier is 1.0-10.0 with at most 3 decimals",
    "invalid_tier_name": "A tier name is a lower-case slug of 1-30 letters, digits and -",
    "redeem_above_maximum": "At most 1000000 points can be redeemed at once",
    "redeem_below_minimum": "Fewer points than the minimum redemption (100)",
    "redeem_not_in_steps": "Points are redeemed in multiples of 100",
    "tier_min_points_taken": "Another tier starts at the same minPoints",
    "tier_name_taken": "Another tier has this name",
    "tier_not_found": "No such loyalty tier",
}
