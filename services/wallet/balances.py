"""Reading a wallet: its balance and its ledger (seed 002 `GET /wallet/balance`, `GET /wallet/transactions`).

`balance` = `available` + `held`: what the user owns in the currency; `available` is what they
can spend or withdraw; `held` is in pending withdrawals. A user without a wallet in a currency
reads zeros (wallets are created by their first transaction).
"""

from __future__ import annotations

import datetime as dt

from models.db import isoformat
from models.wallet import TRANSACTION_STATUSES, TRANSACTION_TYPES, Wallet, WalletTransaction
from services.errors import ValidationFailed
from services.wallet.ledger import check_currency


def balance(user_id: str, currency: str) -> dict:
    """`{"currency", "balance", "available", "held", "totalEarned", "totalSpent", "totalWithdrawn",
    "updatedAt"}` of the user's wallet in `currency`, minor units (zeros and updatedAt None without
    one). Raises ValidationFailed (422 `wallet_unknown_currency`)."""
    currency = check_currency(currency)
    wallet = Wallet.get_or_none(Wallet.user == user_id, Wallet.currency == currency)
    if wallet is None:
        return {"currency": currency, "balance": 0, "available": 0, "held": 0, "totalEarned": 0, "totalSpent": 0,
                "totalWithdrawn": 0, "updatedAt": None}
    return balance_view(wallet)


def balance_view(wallet: Wallet) -> dict:
    """A wallet as `balance` answers it."""
    return {"currency": wallet.currency, "balance": wallet.available + wallet.held, "available": wallet.available,
            "held": wallet.held, "totalEarned": wallet.total_earned, "totalSpent": wallet.total_spent,
            "totalWithdrawn": wallet.total_withdrawn, "updatedAt": isoformat(wallet.updated_at)}


def transactions(user_id: str, filters: dict | None = None, page: int = 1, limit: int = 20
                 ) -> tuple[list[WalletTransaction], int]:
    """The user's ledger lines, newest first, one page: `(lines, total)`. `filters` (all
    optional): `type` (models.wallet.TRANSACTION_TYPES), `status` (TRANSACTION_STATUSES),
    `currency`, `from` / `to` (naive UTC datetimes: created at or after / before). Raises
    ValidationFailed (422 `invalid_status`, `wallet_unknown_currency`)."""
    filters = filters or {}
    query = WalletTransaction.select().where(WalletTransaction.user == user_id)
    if filters.get("type"):
        if filters["type"] not in TRANSACTION_TYPES:
            raise ValidationFailed("Unknown transaction type", reason="invalid_status",
                                   details=[{"field": "type", "message": f"One of {', '.join(TRANSACTION_TYPES)}"}])
        query = query.where(WalletTransaction.type == filters["type"])
    if filters.get("status"):
        if filters["status"] not in TRANSACTION_STATUSES:
            allowed = ", ".join(TRANSACTION_STATUSES)
            raise ValidationFailed("Unknown status", reason="invalid_status",
                                   details=[{"field": "status", "message": f"One of {allowed}"}])
        query = query.where(WalletTransaction.status == filters["status"])
    if filters.get("currency"):
        query = query.where(WalletTransaction.currency == check_currency(filters["currency"]))
    start, end = filters.get("from"), filters.get("to")
    if isinstance(start, dt.datetime):
        query = query.where(WalletTransaction.created_at >= start)
    if isinstance(end, dt.datetime):
        query = query.where(WalletTransaction.created_at < end)
    total = query.count()
    rows = list(query.order_by(WalletTransaction.created_at.desc(), WalletTransaction.id.desc()).paginate(page, limit))
    return rows, total


def transaction_view(line: WalletTransaction) -> dict:
    """A ledger line (seed 002 Transaction): `{"id", "type", "amount" (signed minor units), "currency",
    "description", "source": {"type", "reference"}, "status", "balanceBefore", "balanceAfter",
    "metadata", "processedAt", "createdAt"}`; balances are the wallet's `available`."""
    return {"id": line.id, "type": line.type, "amount": line.amount, "currency": line.currency,
            "description": line.description, "source": {"type": line.source_type, "reference": line.source_ref},
            "status": line.status, "balanceBefore": line.balance_before, "balanceAfter": line.balance_after,
            "metadata": line.metadata or {}, "processedAt": isoformat(line.processed_at),
            "createdAt": isoformat(line.created_at)}
