"""Withdrawals (seed 002 `POST /wallet/withdraw`): taking money out of the wallet to a bank
account or PayPal, reviewed by staff, paid by a payout provider (services.wallet.payouts).

Flow and money:

1. `request_withdrawal`: at least `WALLET_MIN_WITHDRAWAL_MINOR` of the shop's currency, at most
   the available balance. In one transaction under the wallet's lock: a `pending` Withdrawal
   and its `withdrawal` ledger line (-amount, status `pending`), `available` down and `held` up
   by the amount: the money is held at once, so it cannot be spent or withdrawn twice.
2. Staff `approve_withdrawal` (pending -> approved) writes the `wallet_payout` job, which runs
   the provider (`run_payout_job`): `paid` -> `paid`; `awaiting_transfer` (the manual provider)
   -> staff make the transfer and `mark_paid`; `failed` -> `failed` with the money returned.
3. `paid`: the ledger line becomes `completed`, `held` goes down, `total_withdrawn` up.
4. `reject_withdrawal` (pending or awaiting_transfer, with a reason) and a failed payout return
   the money: a `withdrawal_reversal` line (+amount, source `withdrawal:{id}`, UNIQUE: it can
   only happen once), `held` down, `available` up; the withdrawal line is marked `reversed`
   (rejected) or `failed` (payout failed).

Every status change is a conditional UPDATE on the expected statuses, under the wallet's lock,
so concurrent approve / reject / mark-paid calls apply one and answer the others 409
`withdrawal_status_conflict`. An `approved` withdrawal cannot be rejected (its payout may be
under way); if its job fails for good (provider down past its retries), an admin retries the
job (`/api/v1/admin/jobs/failed`).

Idempotency: the request's `Idempotency-Key` is stored on the withdrawal (UNIQUE per user) with
the request's fingerprint: a retried request returns the same withdrawal (replayed); the same key
with another body is 422 `idempotency_key_reused`.
"""

from __future__ import annotations

import peewee

import config
from models.db import atomic, isoformat, utcnow
from models.jobs import Job
from models.wallet import WITHDRAWAL_STATUSES, Wallet, WalletTransaction, Withdrawal
from services.errors import Conflict, NotFound, ValidationFailed
from services.platform import idempotency, jobs
from services.wallet import destinations, ledger
from services.wallet.payouts import get_provider

RETURNABLE = ("pending", "awaiting_transfer")


def get_withdrawal(withdrawal_id: str) -> Withdrawal:
    """Raises NotFound (404 `withdrawal_not_found`)."""
    found = Withdrawal.get_or_none(Withdrawal.id == withdrawal_id)
    if found is None:
        raise NotFound("Withdrawal not found", reason="withdrawal_not_found")
    return found


def _replay(row: Withdrawal, fingerprint: str | None) -> tuple[Withdrawal, bool]:
    if row.request_hash != fingerprint:
        raise idempotency.IdempotencyKeyReused("This Idempotency-Key was already used with a different request",
                                   details=[{"field": "Idempotency-Key", "message": "Use a new key for a new request"}])
    return row, True


def _by_key(user_id: str, key: str | None) -> Withdrawal | None:
    if not key:
        return None
    return Withdrawal.get_or_none(Withdrawal.user == user_id, Withdrawal.idempotency_key == key)


def request_withdrawal(user_id: str, amount: int, method: str, details: dict, idempotency_key: str | None = None,
                       fingerprint: str | None = None) -> tuple[Withdrawal, bool]:
    """Hold `amount` (minor units of the shop's `CURRENCY`) of the user's wallet for a payout by
    `method` (bank_transfer | paypal; `details` see services.wallet.destinations). Returns
    `(withdrawal, replayed)`: replayed is True when `idempotency_key` (1-255 chars) was used
    before with the same `fingerprint` (the stored withdrawal comes back, nothing is held again).
    Raises ValidationFailed (422 `withdrawal_below_minimum`, `invalid_iban`, `bad_idempotency_key`,
    `idempotency_key_reused`), InsufficientFunds (409 `wallet_insufficient_funds`)."""
    settings = config.get()
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= idempotency.MAX_KEY_LENGTH:
        raise ValidationFailed("Idempotency-Key must be 1-255 characters", reason="bad_idempotency_key",
                               details=[{"field": "Idempotency-Key", "message": "1-255 characters"}])
    existing = _by_key(user_id, idempotency_key)
    if existing is not None:
        return _replay(existing, fingerprint)
    if amount < settings.wallet_min_withdrawal_minor:
        raise ValidationFailed(f"At least {settings.wallet_min_withdrawal_minor} can be withdrawn",
                               reason="withdrawal_below_minimum",
                               details=[{"field": "amount",
                                         "message": f"At least {settings.wallet_min_withdrawal_minor} (minor units)"}])
    destination = destinations.normalise(method, details)
    try:
        with atomic():
            wallet = ledger.locked_wallet(user_id, settings.currency)
            existing = _by_key(user_id, idempotency_key)  # re-read under the lock
            if existing is not None:
                return _replay(existing, fingerprint)
            withdrawal = Withdrawal.create(user=user_id, wallet=wallet.id, amount=amount, currency=wallet.currency,
                                           method=method, destination=destination, idempotency_key=idempotency_key,
                                           request_hash=fingerprint if idempotency_key else None)
            ledger.post(wallet, -amount, "withdrawal", "withdrawal", withdrawal.id,
                        description=f"Withdrawal to {method.replace('_', ' ')}", status="pending",
                        metadata={"method": method}, held_delta=amount)
        return withdrawal, False
    except peewee.IntegrityError:  # the same key used concurrently (another currency's lock)
        existing = _by_key(user_id, idempotency_key)
        if existing is None:
            raise
        return _replay(existing, fingerprint)


def list_withdrawals(status: str | None = None, user_id: str | None = None, page: int = 1, limit: int = 20
                     ) -> tuple[list[Withdrawal], int]:
    """Withdrawals, oldest first (the review queue's order), one page: `(rows, total)`. Raises
    ValidationFailed (422 `invalid_status`) for a status not in WITHDRAWAL_STATUSES."""
    query = Withdrawal.select()
    if status:
        if status not in WITHDRAWAL_STATUSES:
            raise ValidationFailed("Unknown status", reason="invalid_status",
                                   details=[{"field": "status", "message": f"One of {', '.join(WITHDRAWAL_STATUSES)}"}])
        query = query.where(Withdrawal.status == status)
    if user_id:
        query = query.where(Withdrawal.user == user_id)
    total = query.count()
    return list(query.order_by(Withdrawal.created_at, Withdrawal.id).paginate(page, limit)), total


def _conflict(withdrawal_id: str, action: str) -> Conflict:
    current = Withdrawal.get_by_id(withdrawal_id).status
    return Conflict(f"A {current} withdrawal cannot be {action}", reason="withdrawal_status_conflict",
                    details=[{"field": "status", "message": current}])


def _move(withdrawal: Withdrawal, from_states: tuple, action: str, **changes) -> None:
    """Conditional status change; raises Conflict (409 `withdrawal_status_conflict`) when the
    withdrawal is no longer in `from_states`."""
    changed = Withdrawal.update(updated_at=utcnow(), **changes).where(
        Withdrawal.id == withdrawal.id, Withdrawal.status.in_(from_states)).execute()
    if not changed:
        raise _conflict(withdrawal.id, action)


def _line(withdrawal: Withdrawal) -> WalletTransaction:
    return ledger.find_line("withdrawal", withdrawal.id, "withdrawal")


def approve_withdrawal(withdrawal_id: str, staff_id: str) -> tuple[Withdrawal, Job]:
    """pending -> approved, with the `wallet_payout` job that sends it through the configured
    provider (`WALLET_PAYOUT_PROVIDER`). Returns `(withdrawal, job)`; the caller dispatches the
    job. Raises NotFound (404 `withdrawal_not_found`), Conflict (409 `withdrawal_status_conflict`,
    `payout_provider_unavailable`)."""
    withdrawal = get_withdrawal(withdrawal_id)
    provider = config.get().wallet_payout_provider
    if get_provider(provider) is None:
        raise Conflict(f"Payout provider {provider!r} is not available", reason="payout_provider_unavailable")
    with atomic():
        _move(withdrawal, ("pending",), "approved", status="approved", provider=provider, reviewed_by=staff_id,
              approved_at=utcnow())
        job = jobs.create_job("wallet_payout", {"withdrawalId": withdrawal.id}, owner_id=staff_id)
    return get_withdrawal(withdrawal.id), job


def _settle(withdrawal: Withdrawal, from_states: tuple, reference: str | None, staff_id: str | None) -> None:
    """The payout happened: status paid, the ledger line completed, the hold released."""
    with atomic():
        wallet = ledger.locked_wallet(withdrawal.user_id, withdrawal.currency)
        now = utcnow()
        changes = {"status": "paid", "paid_at": now, "provider_ref": reference or withdrawal.provider_ref}
        if staff_id:
            changes["reviewed_by"] = staff_id
        _move(withdrawal, from_states, "marked paid", **changes)
        WalletTransaction.update(status="completed", processed_at=now).where(
            WalletTransaction.id == _line(withdrawal).id).execute()
        Wallet.update(held=Wallet.held - withdrawal.amount, total_withdrawn=Wallet.total_withdrawn + withdrawal.amount,
                      updated_at=now).where(Wallet.id == wallet.id).execute()
        wallet.held -= withdrawal.amount
        wallet.total_withdrawn += withdrawal.amount
        ledger.announce(wallet)


def _give_back(withdrawal: Withdrawal, from_states: tuple, status: str, reason: str, staff_id: str | None) -> None:
    """The payout will not happen: status `status` (rejected | failed), the money returned by one
    `withdrawal_reversal` line, the withdrawal line marked reversed | failed."""
    with atomic():
        wallet = ledger.locked_wallet(withdrawal.user_id, withdrawal.currency)
        changes = {"status": status, "reason": reason[:500]}
        if staff_id:
            changes["reviewed_by"] = staff_id
        _move(withdrawal, from_states, status, **changes)
        now = utcnow()
        WalletTransaction.update(status="reversed" if status == "rejected" else "failed", processed_at=now).where(
            WalletTransaction.id == _line(withdrawal).id).execute()
        ledger.post(wallet, withdrawal.amount, "withdrawal_reversal", "withdrawal", withdrawal.id,
                    description=f"Withdrawal {status}: {reason}"[:255], metadata={"reason": reason[:500]},
                    held_delta=-withdrawal.amount)


def reject_withdrawal(withdrawal_id: str, staff_id: str, reason: str) -> Withdrawal:
    """pending | awaiting_transfer -> rejected, the held money back in the wallet. Raises
    NotFound (404 `withdrawal_not_found`), Conflict (409 `withdrawal_status_conflict`)."""
    withdrawal = get_withdrawal(withdrawal_id)
    _give_back(withdrawal, RETURNABLE, "rejected", reason, staff_id)
    return get_withdrawal(withdrawal.id)


def mark_paid(withdrawal_id: str, staff_id: str, reference: str | None = None) -> Withdrawal:
    """awaiting_transfer -> paid: staff made the manual transfer (`reference`: their bank or
    PayPal reference, optional). Raises NotFound (404 `withdrawal_not_found`), Conflict (409
    `withdrawal_status_conflict`)."""
    withdrawal = get_withdrawal(withdrawal_id)
    _settle(withdrawal, ("awaiting_transfer",), reference, staff_id)
    return get_withdrawal(withdrawal.id)


def run_payout_job(job: Job, ctx) -> dict:
    """`wallet_payout` job: send an approved withdrawal through its provider, once. Returns
    `{"withdrawalId", "action": "paid" | "awaiting_transfer" | "failed" | "none", "status",
    "reference"}` ("none": it was no longer approved: a repeat). Raises NotFound, Conflict (409
    `payout_provider_unavailable`); a provider's TransientError is retried by the platform."""
    withdrawal = get_withdrawal(job.payload["withdrawalId"])
    if withdrawal.status != "approved":
        return {"withdrawalId": withdrawal.id, "action": "none", "status": withdrawal.status,
                "reference": withdrawal.provider_ref}
    provider = get_provider(withdrawal.provider or "")
    if provider is None:
        raise Conflict(f"Payout provider {withdrawal.provider!r} is not available",
                       reason="payout_provider_unavailable")
    outcome = provider.send(withdrawal)
    if outcome.status == "paid":
        _settle(withdrawal, ("approved",), outcome.reference, None)
    elif outcome.status == "awaiting_transfer":
        with atomic():
            _move(withdrawal, ("approved",), "sent", status="awaiting_transfer", provider_ref=outcome.reference)
    else:
        _give_back(withdrawal, ("approved",), "failed", outcome.message or "The payout failed", None)
    return {"withdrawalId": withdrawal.id, "action": outcome.status, "status": get_withdrawal(withdrawal.id).status,
            "reference": outcome.reference}


def withdrawal_view(withdrawal: Withdrawal, full_destination: bool = False) -> dict:
    """`{"id", "userId", "amount" (minor units), "currency", "method", "destination" (masked
    unless `full_destination`: staff), "status", "provider", "providerReference", "reason",
    "reviewedBy", "transactionId", "createdAt", "updatedAt", "approvedAt", "paidAt"}`."""
    destination = withdrawal.destination or {}
    line = _line(withdrawal)
    return {"id": withdrawal.id, "userId": withdrawal.user_id, "amount": withdrawal.amount,
            "currency": withdrawal.currency, "method": withdrawal.method,
            "destination": destination if full_destination else destinations.masked(withdrawal.method, destination),
            "status": withdrawal.status, "provider": withdrawal.provider, "providerReference": withdrawal.provider_ref,
            "reason": withdrawal.reason, "reviewedBy": withdrawal.reviewed_by,
            "transactionId": line.id if line else None, "createdAt": isoformat(withdrawal.created_at),
            "updatedAt": isoformat(withdrawal.updated_at), "approvedAt": isoformat(withdrawal.approved_at),
            "paidAt": isoformat(withdrawal.paid_at)}
