"""The wallet package's stable error reasons, reason -> meaning."""

REASONS = {
    # ledger and balances
    "wallet_insufficient_funds": "The wallet's available balance is lower than the amount to take",
    "wallet_source_reused": "This source (type, reference) already applied a transaction of this type "
                            "with another user, amount or currency",
    "wallet_unknown_currency": "The currency is not one Cartwheel knows (ISO 4217)",
    # withdrawals
    "withdrawal_below_minimum": "The amount is below the minimum withdrawal (WALLET_MIN_WITHDRAWAL_MINOR)",
    "withdrawal_not_found": "No such withdrawal",
    "withdrawal_status_conflict": "The withdrawal's status does not allow this (e.g. approving a rejected one)",
    "invalid_iban": "The IBAN fails its format or check digits (ISO 13616)",
    "payout_provider_unavailable": "The configured payout provider is unknown",
    # earn projects
    "project_not_found": "No such earn project",
    "project_not_available": "The project is not active, has expired or has no budget left",
    "project_limit_reached": "You have completed this project as many times as it allows",
    "project_budget_exhausted": "The project's budget cannot pay another reward",
    "project_invalid_dates": "The expiry date must be in the future",
    "project_requirements_invalid": "The requirements do not fit the project type (e.g. a location for a visit)",
    "submission_not_found": "No such submission",
    "submission_status_conflict": "The submission was already reviewed",
    "submission_too_short": "The text has fewer words than the project requires",
    "submission_video_too_short": "The video is shorter than the project requires",
    "submission_location_required": "A visit project needs the visit's lat and lng",
    "submission_too_far": "The visit's location is outside the project's radius",
    "submission_product_required": "The submission must name one of the project's products",
    "submission_field_not_applicable": "The submission sends a field its project type does not take",
    "submission_content_required": "The submission needs content (the text, image URL or video URL its type asks for)",
}
