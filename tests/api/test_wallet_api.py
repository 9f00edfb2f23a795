"""The wallet API: balance, transactions, withdrawals and the staff review, by role."""

import pytest

from services import wallet
from tests.factories import assert_error, quick_user, token_for

BANK = {"iban": "DE89370400440532013000", "accountName": "Test User"}


@pytest.fixture()
def funded(db):
    user = quick_user()
    wallet.credit(user.id, 10_000, "USD", source_type="adjustment", source_ref=f"open:{user.id}", description="Opening")
    return user


@pytest.fixture()
def staff_token(db):
    return token_for(quick_user(role="staff"))


def withdraw(api, token, amount=3000, **extra):
    body = {"amount": amount, "method": "bank_transfer", "bankAccount": BANK, **extra}
    return api.post("/api/v1/wallet/withdraw", json=body, token=token)


def test_balance_and_transactions_of_the_caller(api, funded):
    token = token_for(funded)
    status, body, _ = api.get("/api/v1/wallet/balance", token=token)
    assert status == 200
    keys = ("balance", "available", "held", "totalEarned", "totalSpent", "currency")
    assert {k: body["data"][k] for k in keys} == {"balance": 10_000, "available": 10_000, "held": 0,
                                                  "totalEarned": 10_000, "totalSpent": 0, "currency": "USD"}
    wallet.debit(funded.id, 500, "USD", source_type="order", source_ref="ord_x", description="Order")
    status, body, _ = api.get("/api/v1/wallet/transactions?type=spending", token=token)
    assert status == 200 and body["pagination"]["total"] == 1
    line = body["data"][0]
    assert (line["amount"], line["balanceBefore"], line["balanceAfter"], line["source"]) == \
        (-500, 10_000, 9500, {"type": "order", "reference": "ord_x"})
    status, body, _ = api.get("/api/v1/wallet/transactions?from=2100-01-01T00:00:00Z", token=token)
    assert status == 200 and body["data"] == []


def test_another_users_wallet_is_not_shown(api, funded):
    status, body, _ = api.get("/api/v1/wallet/balance", token=token_for(quick_user()))
    assert status == 200 and body["data"]["available"] == 0
    status, body, _ = api.get("/api/v1/wallet/transactions", token=token_for(quick_user()))
    assert body["data"] == []


def test_guests_get_401(api, db):
    for path in ("/api/v1/wallet/balance", "/api/v1/wallet/transactions"):
        assert_error(*api.get(path)[:2], 401)
    assert_error(*withdraw(api, None)[:2], 401)


def test_bad_filters_and_bodies_get_the_envelope(api, funded):
    token = token_for(funded)
    assert_error(*api.get("/api/v1/wallet/transactions?type=gift", token=token)[:2], 422)
    assert_error(*api.get("/api/v1/wallet/transactions?from=yesterday", token=token)[:2], 422)
    assert_error(*api.get("/api/v1/wallet/balance?currency=XXX", token=token)[:2], 422)
    assert_error(*withdraw(api, token, amount="10")[:2], 422)
    assert_error(*api.post("/api/v1/wallet/withdraw", json={"amount": 3000, "method": "paypal"}, token=token)[:2], 422)
    assert_error(*withdraw(api, token, paypalEmail="a@example.com")[:2], 422)
    assert_error(*withdraw(api, token, bankAccount={"iban": "DE89370400440532013001", "accountName": "X"})[:2],
                 422, "invalid_iban")
    assert_error(*withdraw(api, token, amount=999)[:2], 422, "withdrawal_below_minimum")
    assert_error(*withdraw(api, token, amount=10_001)[:2], 409, "wallet_insufficient_funds")
    assert wallet.balance(funded.id, "USD")["held"] == 0


def test_withdraw_holds_the_amount_and_replays_its_idempotency_key(api, funded):
    token = token_for(funded)
    headers = {"Idempotency-Key": "wd-1"}
    status, body, _ = api.post("/api/v1/wallet/withdraw", token=token, headers=headers,
                               json={"amount": 3000, "method": "paypal", "paypalEmail": "me@example.com"})
    assert status == 201, body
    assert body["data"]["destination"] == {"email": "m***@example.com"}
    assert (body["balance"]["available"], body["balance"]["held"]) == (7000, 3000)
    status, again, headers_out = api.post("/api/v1/wallet/withdraw", token=token, headers=headers,
                                          json={"amount": 3000, "method": "paypal", "paypalEmail": "me@example.com"})
    assert status == 200 and again["data"]["id"] == body["data"]["id"]
    assert headers_out["Idempotent-Replayed"] == "true"
    status, reused, _ = api.post("/api/v1/wallet/withdraw", token=token, headers=headers,
                                 json={"amount": 4000, "method": "paypal", "paypalEmail": "me@example.com"})
    assert_error(status, reused, 422, "idempotency_key_reused")
    assert wallet.balance(funded.id, "USD")["held"] == 3000


def test_staff_approve_then_mark_paid(api, funded, staff_token):
    status, body, _ = withdraw(api, token_for(funded))
    withdrawal_id = body["data"]["id"]
    status, listed, _ = api.get("/api/v1/wallet/withdrawals?status=pending", token=staff_token)
    assert status == 200 and [w["id"] for w in listed["data"]] == [withdrawal_id]
    assert listed["data"][0]["destination"]["iban"] == BANK["iban"]  # staff see it whole
    status, body, headers = api.post(f"/api/v1/wallet/withdrawals/{withdrawal_id}/approve", token=staff_token,
                                     headers={"Prefer": "wait=10"})
    assert status in (200, 202) and body["data"]["type"] == "wallet_payout"
    done = api.wait_job(body["data"]["id"], token=staff_token)
    assert done["state"] == "succeeded" and done["result"]["status"] == "awaiting_transfer"
    status, body, _ = api.post(f"/api/v1/wallet/withdrawals/{withdrawal_id}/mark-paid", token=staff_token,
                               json={"reference": "SEPA-42"})
    assert status == 200 and (body["data"]["status"], body["data"]["providerReference"]) == ("paid", "SEPA-42")
    view = wallet.balance(funded.id, "USD")
    assert (view["available"], view["held"], view["totalWithdrawn"]) == (7000, 0, 3000)
    status, body, _ = api.post(f"/api/v1/wallet/withdrawals/{withdrawal_id}/reject", token=staff_token,
                               json={"reason": "late"})
    assert_error(status, body, 409, "withdrawal_status_conflict")


def test_staff_reject_returns_the_money(api, funded, staff_token):
    _, body, _ = withdraw(api, token_for(funded))
    withdrawal_id = body["data"]["id"]
    assert_error(*api.post(f"/api/v1/wallet/withdrawals/{withdrawal_id}/reject", token=staff_token, json={})[:2], 422)
    status, body, _ = api.post(f"/api/v1/wallet/withdrawals/{withdrawal_id}/reject", token=staff_token,
                               json={"reason": "Name mismatch"})
    assert status == 200 and body["data"]["status"] == "rejected"
    assert wallet.balance(funded.id, "USD")["available"] == 10_000
    status, body, _ = api.get("/api/v1/wallet/transactions?type=withdrawal_reversal", token=token_for(funded))
    assert body["data"][0]["amount"] == 3000


def test_review_routes_by_role(api, funded, staff_token, admin_token):
    _, body, _ = withdraw(api, token_for(funded))
    withdrawal_id = body["data"]["id"]
    customer = token_for(funded)
    assert_error(*api.get("/api/v1/wallet/withdrawals", token=customer)[:2], 403)
    assert_error(*api.post(f"/api/v1/wallet/withdrawals/{withdrawal_id}/approve", token=customer)[:2], 403)
    assert_error(*api.post(f"/api/v1/wallet/withdrawals/{withdrawal_id}/reject", json={"reason": "x"})[:2], 401)
    assert api.get("/api/v1/wallet/withdrawals", token=admin_token)[0] == 200
    assert_error(*api.post("/api/v1/wallet/withdrawals/wdr_missing/mark-paid", token=staff_token)[:2], 404,
                 "withdrawal_not_found")
    assert_error(*api.get("/api/v1/wallet/withdrawals?status=lost", token=staff_token)[:2], 422)
