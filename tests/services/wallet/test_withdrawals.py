"""Withdrawals: the hold, staff review, the payout job and the manual provider."""

import pytest

from models.jobs import Job
from models.wallet import WalletTransaction, Withdrawal
from services import wallet
from services.errors import Conflict, ValidationFailed
from services.wallet import PayoutOutcome
from tests.factories import quick_user
from tests.services.wallet.helpers import assert_ledger_adds_up, job

BANK = {"iban": "DE89 3704 0044 0532 0130 00", "account_name": "Test User"}


def funded(amount=10_000):
    user = quick_user()
    wallet.credit(user.id, amount, "USD", source_type="adjustment", source_ref=f"open:{user.id}")
    return user


def test_a_withdrawal_holds_its_amount_at_once(db):
    user = funded()
    withdrawal, replayed = wallet.request_withdrawal(user.id, 4000, "bank_transfer", BANK)
    assert not replayed and withdrawal.status == "pending"
    assert withdrawal.destination == {"iban": "DE89370400440532013000", "accountName": "Test User"}
    view = wallet.balance(user.id, "USD")
    assert (view["balance"], view["available"], view["held"]) == (10_000, 6000, 4000)
    line = WalletTransaction.get(WalletTransaction.type == "withdrawal")
    assert (line.amount, line.status, line.processed_at) == (-4000, "pending", None)
    assert wallet.withdrawal_view(withdrawal)["destination"] == {"iban": "DE89 **** 3000", "accountName": "Test User"}
    assert_ledger_adds_up()


def test_a_withdrawal_is_refused_below_the_minimum_above_the_balance_or_to_a_bad_iban(db):
    user = funded(5000)
    with pytest.raises(ValidationFailed) as small:
        wallet.request_withdrawal(user.id, 999, "paypal", {"email": "a@example.com"})
    with pytest.raises(wallet.InsufficientFunds):
        wallet.request_withdrawal(user.id, 5001, "paypal", {"email": "a@example.com"})
    with pytest.raises(ValidationFailed) as iban:
        wallet.request_withdrawal(user.id, 2000, "bank_transfer", {"iban": "DE89370400440532013001",
                                                                  "account_name": "X"})
    assert (small.value.reason, iban.value.reason) == ("withdrawal_below_minimum", "invalid_iban")
    assert Withdrawal.select().count() == 0 and wallet.balance(user.id, "USD")["held"] == 0


def test_the_same_idempotency_key_returns_the_same_withdrawal(db):
    user = funded()
    first, _ = wallet.request_withdrawal(user.id, 2000, "paypal", {"email": "A@Example.com"}, "k1", "f1")
    again, replayed = wallet.request_withdrawal(user.id, 2000, "paypal", {"email": "a@example.com"}, "k1", "f1")
    assert replayed and again.id == first.id and first.destination == {"email": "a@example.com"}
    with pytest.raises(ValidationFailed) as reused:
        wallet.request_withdrawal(user.id, 3000, "paypal", {"email": "a@example.com"}, "k1", "f2")
    assert reused.value.reason == "idempotency_key_reused"
    assert wallet.balance(user.id, "USD")["held"] == 2000


def test_approval_runs_the_manual_provider_then_staff_mark_it_paid(db):
    user, staff = funded(), quick_user(role="staff")
    withdrawal, _ = wallet.request_withdrawal(user.id, 3000, "bank_transfer", BANK)
    approved, payout = wallet.approve_withdrawal(withdrawal.id, staff.id)
    assert approved.status == "approved" and Job.get_by_id(payout.id).type == "wallet_payout"
    result = wallet.run_payout_job(job(withdrawalId=withdrawal.id), None)
    assert result == {"withdrawalId": withdrawal.id, "action": "awaiting_transfer", "status": "awaiting_transfer",
                      "reference": f"manual:{withdrawal.id}"}
    assert wallet.run_payout_job(job(withdrawalId=withdrawal.id), None)["action"] == "none"  # a repeat
    paid = wallet.mark_paid(withdrawal.id, staff.id, "SEPA-123")
    assert (paid.status, paid.provider_ref) == ("paid", "SEPA-123")
    view = wallet.balance(user.id, "USD")
    assert (view["balance"], view["available"], view["held"], view["totalWithdrawn"]) == (7000, 7000, 0, 3000)
    assert WalletTransaction.get(WalletTransaction.type == "withdrawal").status == "completed"
    with pytest.raises(Conflict) as twice:
        wallet.mark_paid(withdrawal.id, staff.id)
    assert twice.value.reason == "withdrawal_status_conflict"
    assert_ledger_adds_up()


def test_a_rejection_returns_the_money_once(db):
    user, staff = funded(), quick_user(role="staff")
    withdrawal, _ = wallet.request_withdrawal(user.id, 3000, "paypal", {"email": "a@example.com"})
    rejected = wallet.reject_withdrawal(withdrawal.id, staff.id, "Name does not match")
    assert (rejected.status, rejected.reason, rejected.reviewed_by) == ("rejected", "Name does not match", staff.id)
    with pytest.raises(Conflict):
        wallet.reject_withdrawal(withdrawal.id, staff.id, "again")
    with pytest.raises(Conflict):
        wallet.approve_withdrawal(withdrawal.id, staff.id)
    lines = {line.type: line for line in WalletTransaction.select()}
    assert (lines["withdrawal"].status, lines["withdrawal_reversal"].amount) == ("reversed", 3000)
    view = wallet.balance(user.id, "USD")
    assert (view["available"], view["held"]) == (10_000, 0)
    assert_ledger_adds_up()


def test_a_failed_payout_returns_the_money(db, monkeypatch):
    class Refusing:
        name = "manual"

        def send(self, withdrawal):
            return PayoutOutcome("failed", "x-1", "Account closed")

    user, staff = funded(), quick_user(role="staff")
    withdrawal, _ = wallet.request_withdrawal(user.id, 3000, "paypal", {"email": "a@example.com"})
    wallet.approve_withdrawal(withdrawal.id, staff.id)
    monkeypatch.setitem(wallet.payouts.PROVIDERS, "manual", Refusing())
    assert wallet.run_payout_job(job(withdrawalId=withdrawal.id), None)["status"] == "failed"
    assert WalletTransaction.get(WalletTransaction.type == "withdrawal").status == "failed"
    assert wallet.balance(user.id, "USD")["available"] == 10_000
    assert_ledger_adds_up()


def test_a_provider_that_pays_at_once_completes_the_withdrawal(db, monkeypatch):
    class Paying:
        name = "manual"

        def send(self, withdrawal):
            return PayoutOutcome("paid", f"po_{withdrawal.id}")

    user, staff = funded(), quick_user(role="staff")
    withdrawal, _ = wallet.request_withdrawal(user.id, 3000, "paypal", {"email": "a@example.com"})
    wallet.approve_withdrawal(withdrawal.id, staff.id)
    monkeypatch.setitem(wallet.payouts.PROVIDERS, "manual", Paying())
    assert wallet.run_payout_job(job(withdrawalId=withdrawal.id), None)["status"] == "paid"
    assert wallet.balance(user.id, "USD")["totalWithdrawn"] == 3000
    assert_ledger_adds_up()
