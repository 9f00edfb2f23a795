"""The wallet ledger: crediting and debiting a user's wallet, exactly once per source.

Every change is ONE transaction that locks the wallet row (`SELECT ... FOR UPDATE` on
PostgreSQL; SQLite's `BEGIN IMMEDIATE` write lock serialises writers), re-checks the source
key under that lock, writes the ledger line with the balances before and after, and updates
the wallet's counters; the table's CHECK (`available >= 0`) is the last line of defence. A
`wallet_update` user event (services.platform.user_events) goes out after commit with the new
balance (`balances.balance_view`).

Idempotency: a line is keyed by (source_type, source_ref, type), UNIQUE. Calling `credit` or
`debit` again with the same key (a retried job, a duplicated webhook) returns the line already
written and changes nothing; the same key with another user, amount or currency is a Conflict
(409 `wallet_source_reused`): a programming error, never a silent second application.

Amounts are positive integer minor units of `currency` (ISO 4217: 3 decimals for JOD, 0 for
JPY); the ledger stores them signed (credits > 0, debits < 0; models.wallet).

Call inside a caller's transaction to make the wallet change part of it (checkout paying with
the wallet): the nested `atomic()` is a savepoint, and the lock is held until the caller commits.
"""

from __future__ import annotations

import peewee

import config
from models.db import atomic, is_postgres, utcnow
from models.wallet import CREDIT_TYPES, DEBIT_TYPES, SOURCE_TYPES, Wallet, WalletTransaction
from services.errors import Conflict, ValidationFailed
from services.platform import user_events


class InsufficientFunds(Conflict):
    """The wallet's available balance is below the amount to take (409 `wallet_insufficient_funds`)."""

    reason = "wallet_insufficient_funds"


def check_currency(currency: str) -> str:
    """`currency` upper-cased. Raises ValidationFailed (422 `wallet_unknown_currency`) for a code
    not in config.CURRENCY_EXPONENTS."""
    code = (currency or "").upper()
    if code not in config.CURRENCY_EXPONENTS:
        raise ValidationFailed(f"Unknown currency {currency!r}", reason="wallet_unknown_currency",
                               details=[{"field": "currency", "message": "An ISO 4217 code"}])
    return code


def locked_wallet(user_id: str, currency: str) -> Wallet:
    """The user's wallet in `currency`, created when missing, locked until the transaction ends
    (call inside `atomic()`)."""
    Wallet.insert(user=user_id, currency=currency).on_conflict_ignore().execute()
    query = Wallet.select().where(Wallet.user == user_id, Wallet.currency == currency)
    return (query.for_update() if is_postgres() else query).get()


def find_line(source_type: str, source_ref: str, type_: str) -> WalletTransaction | None:
    """The ledger line of a source key, or None."""
    return WalletTransaction.get_or_none(WalletTransaction.source_type == source_type,
                                         WalletTransaction.source_ref == source_ref, WalletTransaction.type == type_)


def _same(line: WalletTransaction, user_id: str, signed: int, currency: str) -> WalletTransaction:
    if line.user_id != user_id or line.amount != signed or line.currency != currency:
        raise Conflict("This source already applied another transaction", reason="wallet_source_reused",
                       details=[{"field": "sourceRef",
                                 "message": f"{line.source_type}:{line.source_ref} is {line.id}"}])
    return line


def post(wallet: Wallet, signed: int, type_: str, source_type: str, source_ref: str, description: str = "",
         metadata: dict | None = None, status: str = "completed", held_delta: int = 0) -> WalletTransaction:
    """Write one ledger line of `signed` minor units on the LOCKED `wallet` (inside the caller's
    transaction) and move its counters: `available` by `signed`, `held` by `held_delta`,
    `total_earned` by an earning, `total_spent` by a spending (less a refund, floored at 0).
    Publishes `wallet_update` after commit. Raises InsufficientFunds when `available` would go
    below 0, peewee.IntegrityError when the source key exists (the caller re-reads it)."""
    before = wallet.available
    after = before + signed
    if after < 0:
        raise InsufficientFunds(f"The wallet holds {before}, {-signed} is needed (minor units of {wallet.currency})",
                                details=[{"field": "amount", "message": f"At most {before} available"}])
    now = utcnow()
    line = WalletTransaction.create(
        wallet=wallet.id, user=wallet.user_id, type=type_, amount=signed, currency=wallet.currency,
        description=(description or "")[:255], source_type=source_type, source_ref=source_ref, status=status,
        balance_before=before, balance_after=after, metadata=metadata or {},
        processed_at=None if status == "pending" else now, created_at=now)
    earned = signed if type_ == "earning" else 0
    spent = -signed if type_ == "spending" else (-min(signed, wallet.total_spent) if type_ == "refund" else 0)
    Wallet.update(available=Wallet.available + signed, held=Wallet.held + held_delta,
                  total_earned=Wallet.total_earned + earned, total_spent=Wallet.total_spent + spent,
                  updated_at=now).where(Wallet.id == wallet.id).execute()
    wallet.available, wallet.held = after, wallet.held + held_delta
    wallet.total_earned, wallet.total_spent = wallet.total_earned + earned, wallet.total_spent + spent
    announce(wallet, line)
    return line


def announce(wallet: Wallet, line: WalletTransaction | None = None) -> None:
    """Publish `wallet_update` to the wallet's owner after commit: `{"currency", "balance",
    "available", "held", "totalEarned", "totalSpent", "transactionId", "type", "amount"}`."""
    data = {"currency": wallet.currency, "balance": wallet.available + wallet.held, "available": wallet.available,
            "held": wallet.held, "totalEarned": wallet.total_earned, "totalSpent": wallet.total_spent}
    if line is not None:
        data.update(transactionId=line.id, type=line.type, amount=line.amount)
    user_events.publish_user_event(wallet.user_id, "wallet_update", data)


def _apply(user_id: str, signed: int, currency: str, type_: str, source_type: str, source_ref: str,
           description: str, metadata: dict | None) -> WalletTransaction:
    if source_type not in SOURCE_TYPES:
        raise ValueError(f"unknown source type {source_type!r}; one of {SOURCE_TYPES}")
    if not source_ref or len(source_ref) > 64:
        raise ValueError("source_ref must be 1-64 characters")
    currency = check_currency(currency)
    existing = find_line(source_type, source_ref, type_)
    if existing is not None:
        return _same(existing, user_id, signed, currency)
    try:
        with atomic():  # a savepoint inside a caller's transaction
            wallet = locked_wallet(user_id, currency)
            existing = find_line(source_type, source_ref, type_)  # re-read under the lock
            if existing is not None:
                return _same(existing, user_id, signed, currency)
            return post(wallet, signed, type_, source_type, source_ref, description, metadata)
    except peewee.IntegrityError:  # the same key on another user's wallet, concurrently
        existing = find_line(source_type, source_ref, type_)
        if existing is None:
            raise
        return _same(existing, user_id, signed, currency)


def _positive(amount_minor) -> int:
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise ValueError(f"amount_minor must be a positive int, got {amount_minor!r}")
    return amount_minor


def credit(user_id: str, amount_minor: int, currency: str, *, type: str = "earning", source_type: str,
           source_ref: str, description: str = "", metadata: dict | None = None) -> WalletTransaction:
    """Add `amount_minor` (> 0, minor units of `currency`) to the user's wallet, once per
    (source_type, source_ref, type). `type`: earning | refund (withdrawal_reversal is the
    withdrawals module's own). `source_type`: models.wallet.SOURCE_TYPES (e.g. "order",
    source_ref the order id, for a refund of a wallet payment; "cashback"). Returns the completed
    ledger line (the existing one on a repeat). Raises Conflict (409 `wallet_source_reused`),
    ValidationFailed (422 `wallet_unknown_currency`), ValueError for a bad type, amount or source."""
    if type not in CREDIT_TYPES or type == "withdrawal_reversal":
        raise ValueError(f"credit type must be earning or refund, got {type!r}")
    return _apply(user_id, _positive(amount_minor), currency, type, source_type, source_ref, description, metadata)


def debit(user_id: str, amount_minor: int, currency: str, *, type: str = "spending", source_type: str,
          source_ref: str, description: str = "", metadata: dict | None = None) -> WalletTransaction:
    """Take `amount_minor` (> 0, minor units of `currency`) from the user's available balance,
    once per (source_type, source_ref, type). `type`: spending (withdrawals go through
    `services.wallet.request_withdrawal`). E.g. checkout paying with the wallet:
    `debit(user, 1250, "USD", source_type="order", source_ref=order_id, description="Order SKN-...")`.
    Returns the completed ledger line (the existing one on a repeat). Raises InsufficientFunds
    (409 `wallet_insufficient_funds`; nothing written), Conflict (409 `wallet_source_reused`),
    ValidationFailed (422 `wallet_unknown_currency`), ValueError for a bad type, amount or source."""
    if type not in DEBIT_TYPES or type == "withdrawal":
        raise ValueError(f"debit type must be spending, got {type!r}")
    return _apply(user_id, -_positive(amount_minor), currency, type, source_type, source_ref, description, metadata)


def debit_up_to(user_id: str, amount_minor: int, currency: str, *, source_type: str, source_ref: str,
                description: str = "", metadata: dict | None = None) -> WalletTransaction | None:
    """Take back up to `amount_minor` (> 0, minor units of `currency`) from the user's available
    balance as a `spending` line, once per (source_type, source_ref): what the wallet holds when
    less (a clawback, e.g. cashback reversed after the buyer spent it; the balance never goes
    below 0). The line's metadata gets `{"requested", "shortfall"}` (minor units not taken back,
    written off). The available balance is read under the wallet's lock. Returns the line (the
    existing one on a repeat), or None when the wallet held nothing (nothing written, so a later
    call may take what is there then). Raises ValidationFailed (422 `wallet_unknown_currency`),
    ValueError for a bad amount or source."""
    _positive(amount_minor)
    if source_type not in SOURCE_TYPES:
        raise ValueError(f"unknown source type {source_type!r}; one of {SOURCE_TYPES}")
    currency = check_currency(currency)
    with atomic():  # a savepoint inside a caller's transaction
        wallet = locked_wallet(user_id, currency)
        existing = find_line(source_type, source_ref, "spending")
        if existing is not None:
            return existing
        taken = min(amount_minor, wallet.available)
        if taken <= 0:
            return None
        details = dict(metadata or {}, requested=amount_minor, shortfall=amount_minor - taken)
        return post(wallet, -taken, "spending", source_type, source_ref, description, details)
