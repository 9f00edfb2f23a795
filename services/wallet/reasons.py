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
}
