"""Shared helpers of the wallet tests: the ledger invariant and a job stub."""

from __future__ import annotations

from types import SimpleNamespace

from models.wallet import Wallet, WalletTransaction, Withdrawal

HOLDING = ("pending", "approved", "awaiting_transfer")


def job(**payload):
    """A stand-in for a Job row: handlers read only `payload`."""
    return SimpleNamespace(payload=payload, id="job_test")


def assert_ledger_adds_up() -> None:
    """Every wallet's available equals its ledger sum, held equals its open withdrawals, nothing is
    negative, totals match their lines, and each line's after = before + amount."""
    for wallet in Wallet.select():
        lines = list(WalletTransaction.select().where(WalletTransaction.wallet == wallet.id)
                     .order_by(WalletTransaction.created_at, WalletTransaction.id))
        assert wallet.available == sum(line.amount for line in lines), wallet.id
        assert wallet.available >= 0 and wallet.held >= 0
        open_amount = sum(w.amount for w in Withdrawal.select().where(Withdrawal.wallet == wallet.id,
                                                                    Withdrawal.status.in_(HOLDING)))
        assert wallet.held == open_amount, wallet.id
        paid = sum(w.amount for w in Withdrawal.select().where(Withdrawal.wallet == wallet.id,
                                                             Withdrawal.status == "paid"))
        assert wallet.total_withdrawn == paid
        assert wallet.total_earned == sum(line.amount for line in lines if line.type == "earning")
        assert all(line.balance_after == line.balance_before + line.amount >= 0 for line in lines)
