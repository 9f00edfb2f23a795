"""The wallet ledger: credits and debits exactly once per source, balances never negative."""

import pytest

from models.wallet import Wallet, WalletTransaction
from services import wallet
from services.errors import Conflict, ValidationFailed
from tests.factories import quick_user
from tests.services.wallet.helpers import assert_ledger_adds_up


def test_credit_then_debit_moves_the_balance_and_records_before_and_after(db):
    user = quick_user()
    earned = wallet.credit(user.id, 2500, "usd", source_type="project", source_ref="sub_1", description="Review")
    spent = wallet.debit(user.id, 1000, "USD", source_type="order", source_ref="ord_1")
    assert (earned.amount, earned.balance_before, earned.balance_after, earned.status) == (2500, 0, 2500, "completed")
    assert (spent.amount, spent.balance_before, spent.balance_after, spent.type) == (-1000, 2500, 1500, "spending")
    assert wallet.balance(user.id, "USD") | {"updatedAt": None} == {
        "currency": "USD", "balance": 1500, "available": 1500, "held": 0, "totalEarned": 2500, "totalSpent": 1000,
        "totalWithdrawn": 0, "updatedAt": None}
    assert_ledger_adds_up()


def test_a_repeated_credit_returns_the_first_line_and_changes_nothing(db):
    user = quick_user()
    first = wallet.credit(user.id, 700, "USD", source_type="cashback", source_ref="ord_9")
    again = wallet.credit(user.id, 700, "USD", source_type="cashback", source_ref="ord_9")
    assert again.id == first.id
    assert WalletTransaction.select().count() == 1
    assert Wallet.get().available == 700


def test_the_same_source_with_another_amount_or_user_is_a_conflict(db):
    user, other = quick_user(), quick_user()
    wallet.credit(user.id, 700, "USD", source_type="cashback", source_ref="ord_9")
    with pytest.raises(Conflict) as amount:
        wallet.credit(user.id, 800, "USD", source_type="cashback", source_ref="ord_9")
    with pytest.raises(Conflict) as owner:
        wallet.credit(other.id, 700, "USD", source_type="cashback", source_ref="ord_9")
    assert amount.value.reason == owner.value.reason == "wallet_source_reused"


def test_a_refund_and_a_spending_of_the_same_order_are_two_lines(db):
    user = quick_user()
    wallet.credit(user.id, 5000, "USD", source_type="adjustment", source_ref="opening")
    wallet.debit(user.id, 1200, "USD", source_type="order", source_ref="ord_2")
    wallet.credit(user.id, 1200, "USD", type="refund", source_type="order", source_ref="ord_2")
    view = wallet.balance(user.id, "USD")
    assert (view["available"], view["totalSpent"]) == (5000, 0)
    assert_ledger_adds_up()


def test_a_debit_larger_than_the_balance_writes_nothing(db):
    user = quick_user()
    wallet.credit(user.id, 500, "USD", source_type="adjustment", source_ref="opening")
    with pytest.raises(wallet.InsufficientFunds) as error:
        wallet.debit(user.id, 501, "USD", source_type="order", source_ref="ord_3")
    assert (error.value.status, error.value.reason) == (409, "wallet_insufficient_funds")
    assert WalletTransaction.select().count() == 1
    assert Wallet.get().available == 500


def test_wallets_are_kept_per_currency(db):
    user = quick_user()
    wallet.credit(user.id, 500, "USD", source_type="adjustment", source_ref="usd")
    wallet.credit(user.id, 1250, "JOD", source_type="adjustment", source_ref="jod")
    assert wallet.balance(user.id, "JOD")["available"] == 1250
    with pytest.raises(wallet.InsufficientFunds):
        wallet.debit(user.id, 600, "USD", source_type="order", source_ref="ord_4")


def test_bad_arguments_are_refused(db):
    user = quick_user()
    with pytest.raises(ValueError):
        wallet.credit(user.id, 0, "USD", source_type="adjustment", source_ref="x")
    with pytest.raises(ValueError):
        wallet.credit(user.id, 10, "USD", type="spending", source_type="adjustment", source_ref="x")
    with pytest.raises(ValueError):
        wallet.debit(user.id, 10, "USD", type="withdrawal", source_type="order", source_ref="x")
    with pytest.raises(ValueError):
        wallet.credit(user.id, 10, "USD", source_type="lottery", source_ref="x")
    with pytest.raises(ValidationFailed) as currency:
        wallet.credit(user.id, 10, "XXX", source_type="adjustment", source_ref="x")
    assert currency.value.reason == "wallet_unknown_currency"


def test_a_credit_inside_a_rolled_back_transaction_leaves_nothing(db):
    from models.db import atomic

    user = quick_user()
    with pytest.raises(RuntimeError):
        with atomic():
            wallet.credit(user.id, 900, "USD", source_type="adjustment", source_ref="rolled")
            raise RuntimeError("the caller failed")
    assert WalletTransaction.select().count() == 0
    assert wallet.balance(user.id, "USD")["available"] == 0


def test_transactions_filter_by_type_status_and_dates(db):
    import datetime as dt

    user = quick_user()
    wallet.credit(user.id, 900, "USD", source_type="adjustment", source_ref="a")
    wallet.debit(user.id, 100, "USD", source_type="order", source_ref="b")
    rows, total = wallet.transactions(user.id, {"type": "spending"})
    assert total == 1 and rows[0].amount == -100
    rows, total = wallet.transactions(user.id, {"status": "completed"}, page=1, limit=1)
    assert total == 2 and len(rows) == 1 and rows[0].type == "spending"  # newest first
    future = dt.datetime(2100, 1, 1)
    assert wallet.transactions(user.id, {"from": future})[1] == 0
    assert wallet.transactions(user.id, {"to": future})[1] == 2
    assert wallet.transactions(quick_user().id)[1] == 0
