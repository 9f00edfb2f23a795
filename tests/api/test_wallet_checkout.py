"""Paying with the wallet at checkout (issue 11, seed 002 `paymentMethod: "wallet"`): wallet-only
and split (wallet + card on localstripe) checkouts, synchronous refusals (short balance, guest,
someone else's order, bad walletAmount) with nothing written, and money going back to the wallet
once on cancellation, failed cards and staff refunds."""

import pytest

from models.jobs import Job
from models.loyalty import LoyaltyTransaction
from models.orders import Order, Payment, Refund
from models.wallet import WalletTransaction
from services import orders, wallet
from tests.factories import assert_error, card, checkout_body, fill_cart, make_product, make_user, token_for, wait_until


def fund(user, amount, ref="open"):
    wallet.credit(user.id, amount, "USD", source_type="adjustment", source_ref=f"{ref}:{user.id}")


def available(user):
    return wallet.balance(user.id, "USD")["available"]


def ledger_sum(user):
    return sum(t.amount for t in WalletTransaction.select().where(WalletTransaction.user == user.id))


def checkout(api, token, payment="wallet", price=2950, stock=5, **extra):
    cart_id = fill_cart(api, make_product(price=price, stock=stock), token=token)
    return cart_id, api.post("/api/v1/orders", checkout_body(cart_id, payment=payment, **extra), token=token,
                             headers={"Prefer": "wait=10"})


@pytest.fixture()
def customer(db):
    user = make_user()
    fund(user, 20_000)
    return user


def test_wallet_checkout_pays_the_order_from_the_wallet(api, customer):
    token = token_for(customer)
    _, (status, body, _) = checkout(api, token)
    assert status == 200 and body["data"]["state"] == "succeeded", body
    result = body["data"]["result"]
    assert (result["status"], result["paymentStatus"]) == ("confirmed", "paid")
    order = Order.get_by_id(result["orderId"])
    assert order.wallet_amount == order.total and order.payment_method == "wallet"
    assert available(customer) == 20_000 - order.total == ledger_sum(customer)
    [line] = WalletTransaction.select().where(WalletTransaction.type == "spending")
    assert (line.amount, line.source_type, line.source_ref) == (-order.total, "order", order.id)
    payment = Payment.get(Payment.order == order.id)
    assert (payment.provider, payment.status, payment.amount) == ("wallet", "succeeded", order.total)
    view = api.get(f"/api/v1/orders/{order.id}", token=token)[1]["data"]
    assert (view["paymentMethod"], view["walletAmount"], view["paymentStatus"]) == ("wallet", order.total, "paid")
    # paid like a card order: the order.paid fan-out earns loyalty points
    earned = wait_until(lambda: LoyaltyTransaction.get_or_none(LoyaltyTransaction.order_id == order.id),
                        what="loyalty points of the wallet order")
    assert earned.type == "earn" and earned.points > 0


def test_a_short_balance_is_refused_before_the_job_and_nothing_is_written(api, db):
    user = make_user()
    fund(user, 1000)
    token = token_for(user)
    _, (status, body, _) = checkout(api, token)
    assert_error(status, body, 409, "wallet_insufficient_funds")
    _, (status, body, _) = checkout(api, token, payment="stripe", walletAmount=2000)
    assert_error(status, body, 409, "wallet_insufficient_funds")
    assert Job.select().where(Job.type == "checkout").count() == 0 and Order.select().count() == 0
    assert available(user) == 1000 == ledger_sum(user)


def test_a_guest_or_someone_elses_order_cannot_pay_with_a_wallet(api, customer):
    _, (status, body, _) = checkout(api, None)
    assert_error(status, body, 422, "wallet_requires_account")
    staff = make_user(role="staff")
    cart_id = fill_cart(api, make_product(price=2950, stock=5), token=token_for(customer))
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id, payment="wallet", customerId=customer.id),
                               token=token_for(staff))
    assert_error(status, body, 422, "wallet_requires_account")
    assert Order.select().count() == 0 and available(customer) == 20_000


@pytest.mark.parametrize("payment, amount, code, reason", [
    ("stripe", 0, 400, None), ("stripe", -5, 400, None), ("stripe", "12", 400, None),
    ("cash_on_delivery", 100, 422, "wallet_amount_not_allowed"), ("wallet", 100, 422, "wallet_amount_not_allowed")])
def test_bad_wallet_amounts_are_rejected_by_the_schema_or_the_rules(api, customer, payment, amount, code, reason):
    _, (status, body, _) = checkout(api, token_for(customer), payment=payment, walletAmount=amount)
    if code == 400:  # schema: not a positive integer
        assert status in (400, 422) and "error" in body, body
    else:
        assert_error(status, body, code, reason)
    assert Order.select().count() == 0


def test_a_wallet_amount_not_below_the_total_is_refused(api, customer, stripe_ready):
    _, (status, body, _) = checkout(api, token_for(customer), payment="stripe", walletAmount=1_000_000)
    assert_error(status, body, 422, "wallet_amount_too_large")


def test_a_card_part_below_stripes_minimum_is_refused_before_the_job(api, customer, stripe_ready):
    token = token_for(customer)
    cart_id = fill_cart(api, make_product(price=2950), token=token)
    total = api.get(f"/api/v1/cart/{cart_id}", token=token)[1]["data"]["total"]
    jobs_before = Job.select().count()
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id, payment="stripe", walletAmount=total - 49),
                               token=token)
    assert_error(status, body, 422, "card_amount_below_minimum")
    assert body["error"]["details"][0]["field"] == "walletAmount" and body["error"]["details"][0]["minimumCharge"] == 50
    assert Job.select().count() == jobs_before and available(customer) == 20_000
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id, payment="stripe", walletAmount=total - 50),
                               token=token, headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["state"] == "succeeded", body
    assert Order.get_by_id(body["data"]["result"]["orderId"]).wallet_amount == total - 50


def test_stripes_minimum_charges_by_currency():
    from services.errors import ValidationFailed
    from services.payments import check_card_amount, minimum_charge

    assert (minimum_charge("usd"), minimum_charge("GBP"), minimum_charge("JPY"), minimum_charge("JOD")) == \
        (50, 30, 50, None)
    check_card_amount(30, "GBP", "paymentMethod", "hint")
    check_card_amount(1, "JOD", "paymentMethod", "hint")  # not in Stripe's table: Stripe decides
    with pytest.raises(ValidationFailed) as caught:
        check_card_amount(29, "GBP", "paymentMethod", "hint")
    assert caught.value.reason == "card_amount_below_minimum"


def test_cancelling_a_wallet_order_returns_the_money_once(api, customer):
    token = token_for(customer)
    result = checkout(api, token)[1][1]["data"]["result"]
    order_id = result["orderId"]
    status, body, _ = api.put(f"/api/v1/orders/{order_id}/cancel", {"reason": "changed my mind"}, token=token)
    assert status == 200 and body["data"]["status"] == "cancelled", body
    assert body["data"]["paymentStatus"] == "refunded"
    [shown] = body["data"]["refunds"]
    assert shown["toWallet"] and shown["providerRefundId"].startswith("wtx_") and shown["amount"] == result["total"]
    status, body, _ = api.put(f"/api/v1/orders/{order_id}/cancel", {}, token=token)
    assert_error(status, body, 409, "order_cancelled")
    orders.cancel_for_fraud(order_id, "again")  # another cancellation path changes nothing
    assert available(customer) == 20_000 == ledger_sum(customer)
    [line] = WalletTransaction.select().where(WalletTransaction.type == "refund")
    assert (line.source_type, line.source_ref, line.amount) == ("order_refund", shown["id"], result["total"])


def test_staff_partial_refunds_of_a_wallet_order_go_to_the_wallet(api, customer):
    result = checkout(api, token_for(customer))[1][1]["data"]["result"]
    order_id, total = result["orderId"], result["total"]
    staff = token_for(make_user(role="staff"))
    status, body, _ = api.post(f"/api/v1/orders/{order_id}/refunds", {"amount": 1000, "reason": "dented"},
                               token=staff)
    assert status in (200, 201), body
    refund = body["data"]["refund"]
    assert refund["toWallet"] and refund["status"] == "succeeded" and body["data"]["jobId"] is None
    assert Order.get_by_id(order_id).payment_status == "partially_refunded"
    assert available(customer) == 20_000 - total + 1000 == ledger_sum(customer)
    status, body, _ = api.post(f"/api/v1/orders/{order_id}/refunds", {}, token=staff)  # the rest
    assert status in (200, 201), body
    assert Order.get_by_id(order_id).payment_status == "refunded"
    assert available(customer) == 20_000 == ledger_sum(customer)
    status, body, _ = api.post(f"/api/v1/orders/{order_id}/refunds", {"amount": 1}, token=staff)
    assert status in (409, 422), body
    assert available(customer) == 20_000


def test_split_payment_charges_the_card_for_the_rest(api, customer, stripe_ready):
    import stripe

    token = token_for(customer)
    _, (status, body, _) = checkout(api, token, payment="stripe", walletAmount=1000)
    assert status == 200 and body["data"]["state"] == "succeeded", body
    result = body["data"]["result"]
    order = Order.get_by_id(result["orderId"])
    assert order.wallet_amount == 1000 and result["paymentStatus"] == "pending"
    intent = stripe.PaymentIntent.retrieve(result["paymentIntentId"])
    assert intent.amount == order.total - 1000
    assert available(customer) == 19_000
    status, body, _ = api.post(f"/api/v1/orders/{order.id}/payment",
                               {"paymentMethod": "stripe", "paymentMethodId": card().id}, token=token,
                               headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["result"]["paymentStatus"] == "paid", body
    # a staff refund of more than the wallet part: the wallet part first, the card for the rest
    staff = token_for(make_user(role="staff"))
    status, body, _ = api.post(f"/api/v1/orders/{order.id}/refunds", {"amount": 1500}, token=staff)
    assert status in (200, 201), body
    assert available(customer) == 20_000
    job = api.wait_job(body["data"]["jobId"], token=staff)
    assert job["state"] == "succeeded", job
    [card_refund] = stripe.Refund.list(payment_intent=intent.id).data
    assert card_refund.amount == 500
    assert Order.get_by_id(order.id).payment_status == "partially_refunded"
    assert sorted((r.amount, r.to_wallet) for r in Refund.select()) == [(500, False), (1000, True)]


def test_a_declined_card_gives_the_wallet_part_back(api, customer, stripe_ready):
    token = token_for(customer)
    result = checkout(api, token, payment="stripe", walletAmount=700)[1][1]["data"]["result"]
    assert available(customer) == 19_300
    status, body, _ = api.post(f"/api/v1/orders/{result['orderId']}/payment",
                               {"paymentMethod": "stripe", "paymentMethodId": card("4000000000000341").id},
                               token=token, headers={"Prefer": "wait=10"})
    assert status == 402, body
    order = Order.get_by_id(result["orderId"])
    assert (order.status, order.payment_status) == ("cancelled", "failed")
    assert available(customer) == 20_000 == ledger_sum(customer)


def test_a_failed_checkout_debits_nothing_and_a_rerun_debits_once(api, customer):
    from services.orders import checkout as checkout_service

    token = token_for(customer)
    cart_id = fill_cart(api, make_product(price=2950, stock=5), token=token)
    job = orders.start_checkout(customer, {"cart_id": cart_id, "shipping_address": checkout_body(cart_id)[
        "shippingAddress"], "billing_address": "same", "shipping_method": "standard", "payment_method": "wallet"})
    Job.update(state="running").where(Job.id == job.id).execute()
    job = Job.get_by_id(job.id)
    wallet.debit(customer.id, 19_000, "USD", source_type="order", source_ref="elsewhere")  # spent meanwhile
    with pytest.raises(wallet.InsufficientFunds):
        checkout_service.place_order(job)
    assert Order.select().count() == 0 and available(customer) == 1000 == ledger_sum(customer)
    wallet.credit(customer.id, 19_000, "USD", type="refund", source_type="order_refund", source_ref="elsewhere")
    first = checkout_service.place_order(job)
    again = checkout_service.place_order(job)
    assert first.id == again.id and available(customer) == 20_000 - first.total == ledger_sum(customer)


def test_cancelling_a_paid_split_order_returns_the_wallet_part_and_refunds_the_card_once(api, customer,
                                                                                          stripe_ready):
    import stripe

    token = token_for(customer)
    result = checkout(api, token, payment="stripe", walletAmount=1200)[1][1]["data"]["result"]
    order_id = result["orderId"]
    status, body, _ = api.post(f"/api/v1/orders/{order_id}/payment",
                               {"paymentMethod": "stripe", "paymentMethodId": card().id}, token=token,
                               headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["result"]["paymentStatus"] == "paid", body
    status, body, _ = api.put(f"/api/v1/orders/{order_id}/cancel", {}, token=token)
    assert status == 200 and body["data"]["status"] == "cancelled", body
    assert available(customer) == 20_000 == ledger_sum(customer)  # the wallet part is back at once
    refund_job = wait_until(lambda: Job.get_or_none(Job.type == "payment_refund"), what="refund job")
    assert api.wait_job(refund_job.id)["state"] == "succeeded"
    [card_refund] = stripe.Refund.list(payment_intent=result["paymentIntentId"]).data
    assert card_refund.amount == result["total"] - 1200
    order = Order.get_by_id(order_id)
    assert order.payment_status == "refunded"
    assert sorted((r.amount, r.to_wallet, r.kind) for r in Refund.select()) == [
        (1200, True, "cancellation"), (result["total"] - 1200, False, "cancellation")]
    again = orders.request_refund(order_id, "order_cancelled")  # a second job changes nothing
    from workers.dispatch import dispatch
    dispatch(again)
    api.wait_job(again.id)
    assert len(stripe.Refund.list(payment_intent=result["paymentIntentId"]).data) == 1
    assert available(customer) == 20_000 and Refund.select().count() == 2


def test_a_fraud_cancellation_after_a_partial_refund_returns_only_the_rest(api, customer):
    result = checkout(api, token_for(customer))[1][1]["data"]["result"]
    order_id, total = result["orderId"], result["total"]
    staff = token_for(make_user(role="staff"))
    status, body, _ = api.post(f"/api/v1/orders/{order_id}/refunds", {"amount": 800}, token=staff)
    assert status in (200, 201), body
    assert orders.cancel_for_fraud(order_id, "blocked", refund_reason="fraud_blocked")
    assert not orders.cancel_for_fraud(order_id, "blocked again")
    order = Order.get_by_id(order_id)
    assert (order.status, order.payment_status) == ("cancelled", "refunded")
    assert sorted(r.amount for r in Refund.select()) == sorted([800, total - 800])
    assert available(customer) == 20_000 == ledger_sum(customer)


def test_a_partly_refunded_wallet_order_cannot_be_paid_again(api, customer):
    token = token_for(customer)
    order_id = checkout(api, token)[1][1]["data"]["result"]["orderId"]
    api.post(f"/api/v1/orders/{order_id}/refunds", {"amount": 500}, token=token_for(make_user(role="staff")))
    assert Order.get_by_id(order_id).payment_status == "partially_refunded"
    status, body, _ = api.post(f"/api/v1/orders/{order_id}/payment", {"paymentMethod": "wallet"}, token=token)
    assert_error(status, body, 409, "order_already_paid")
