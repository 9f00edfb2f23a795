"""Partner cashback (services.orders.cashback): the delivery job's credit (amounts and rounding),
who earns none, exactly-once runs, and reversals by full and partial refunds, the balance never
below 0. Orders are written directly (checkout has its own tests); deliveries and refunds go
through the real services (update_status, start_refund)."""

from __future__ import annotations

from models.catalog import Store
from models.jobs import Job
from models.orders import Order, OrderItem, Payment
from models.wallet import WalletTransaction
from services import orders, wallet
from tests.factories import make_store, quick_user
from tests.services.wallet.helpers import assert_ledger_adds_up


def partner(bp, partner=True, name="Partner"):
    store = make_store(name=name)
    Store.update(is_partner=partner, cashback_bp=bp).where(Store.id == store.id).execute()
    return store.id


def make_order(customer, lines, discount=0, shipping=500, tax=0, status="shipped"):
    """A cash-on-delivery order, `lines` [(store id | None, unit price, quantity)], paid in full."""
    subtotal = sum(price * qty for _, price, qty in lines)
    total = subtotal - discount + shipping + tax
    order = Order.create(order_number=f"T-{Order.select().count() + 1:05d}", customer=customer.id if customer else None,
                         customer_email="buyer@example.com", status=status, payment_status="paid",
                         payment_method="cash_on_delivery", subtotal=subtotal, tax=tax, shipping=shipping,
                         discount=discount, total=total, currency="USD", shipping_address={}, billing_address={},
                         shipping_method={})
    for n, (store_id, price, qty) in enumerate(lines):
        OrderItem.create(order=order.id, product_id=f"prd_{n}", variant_id=f"var_{n}", quantity=qty,
                         unit_price=price, total_price=price * qty,
                         store_id=store_id, product_snapshot={"name": f"P{n}", "storeId": store_id, "variant": {}})
    Payment.create(order=order.id, provider="cash_on_delivery", status="succeeded", amount=total, currency="USD")
    return order


def deliver(order):
    return orders.update_status(Order.get_by_id(order.id), "delivered")


def cashback_jobs(order_id):
    return [j for j in Job.select().where(Job.type == "cashback") if j.payload["orderId"] == order_id]


def run_jobs(order_id):
    return [orders.settle_cashback(j.payload["orderId"], j.payload.get("rates")) for j in cashback_jobs(order_id)]


def credits(user):
    return list(WalletTransaction.select().where(WalletTransaction.user == user.id,
                                                 WalletTransaction.source_type == "cashback"))


def available(user):
    return wallet.balance(user.id, "USD")["available"]


def test_a_delivered_partner_order_credits_each_stores_rate_rounded_half_up_once(db):
    buyer = quick_user()
    bakery, florist, plain = partner(250), partner(333, name="Florist"), partner(0, name="No cashback")
    # bakery 1940 x 2.5% = 48.5 -> 49 (half up, not to even); florist 1500 x 3.33% = 49.95 -> 50;
    # the store without cashback and the shop's own line: 0
    order = make_order(buyer, [(bakery, 1940, 1), (florist, 750, 2), (plain, 1000, 1), (None, 800, 1)])
    deliver(order)
    [job] = cashback_jobs(order.id)
    assert job.payload["rates"] == {bakery: 250, florist: 333} and job.owner_id == buyer.id
    first = run_jobs(order.id)[0]
    assert first["credited"] == 99
    again = orders.settle_cashback(order.id, job.payload["rates"])  # a retried or duplicated job
    assert again["transactionId"] == first["transactionId"]
    [line] = credits(buyer)
    assert (line.amount, line.type, line.source_ref) == (99, "earning", order.id)
    assert {s["storeId"]: s["amount"] for s in line.metadata["stores"]} == {bakery: 49, florist: 50}
    assert available(buyer) == 99
    view = orders.order_view(Order.get_by_id(order.id))["cashback"]
    assert view == {"amount": 99, "currency": "USD", "status": "credited", "reversedAmount": 0}
    assert_ledger_adds_up()


def test_the_discount_share_is_taken_off_before_the_rate(db):
    buyer = quick_user()
    store = partner(1000)  # 10%
    order = make_order(buyer, [(store, 3000, 1), (None, 1000, 1)], discount=1000)  # 25% off everything
    assert orders.order_view(order)["cashback"]["status"] == "pending"
    deliver(order)
    assert run_jobs(order.id)[0]["credited"] == 225  # 3000 x 0.75 = 2250 x 10%


def test_guests_non_partner_stores_and_undelivered_orders_earn_nothing(db):
    store = partner(500)
    not_partner = partner(500, partner=False, name="Not a partner")
    guest_order = make_order(None, [(store, 2000, 1)])
    buyer = quick_user()
    plain_order = make_order(buyer, [(not_partner, 2000, 1), (None, 2000, 1)])
    for order in (guest_order, plain_order):
        deliver(order)
        assert cashback_jobs(order.id) == []
        assert orders.order_view(Order.get_by_id(order.id))["cashback"] is None
    shipped = make_order(buyer, [(store, 2000, 1)])
    assert orders.settle_cashback(shipped.id, {store: 500})["credited"] == 0  # not delivered yet
    assert credits(buyer) == [] and cashback_jobs(shipped.id) == []


def test_a_full_refund_reverses_all_the_cashback_once(db):
    buyer, staff = quick_user(), quick_user(role="staff")
    store = partner(500)
    order = make_order(buyer, [(store, 4000, 1)])
    deliver(order)
    run_jobs(order.id)
    assert available(buyer) == 200
    refund, _ = orders.start_refund(order.id, staff)  # cash: succeeded at once, everything left
    outcomes = run_jobs(order.id)
    assert [r["requested"] for o in outcomes for r in o["reversals"]] == [200]
    line = wallet.find_line("cashback_reversal", refund.id, "spending")
    assert (line.amount, line.metadata["shortfall"]) == (-200, 0)
    assert available(buyer) == 0
    view = orders.order_view(Order.get_by_id(order.id))["cashback"]
    assert view["status"] == "reversed" and view["reversedAmount"] == 200
    assert_ledger_adds_up()


def test_partial_refunds_reverse_by_lines_and_by_amount_never_more_than_credited(db):
    buyer, staff = quick_user(), quick_user(role="staff")
    store = partner(1000)  # 10%
    order = make_order(buyer, [(store, 1000, 3), (None, 2000, 1)], shipping=0)  # cashback 300, paid 5000
    deliver(order)
    run_jobs(order.id)
    item = OrderItem.get(OrderItem.order == order.id, OrderItem.product_id == "prd_0")
    own = OrderItem.get(OrderItem.order == order.id, OrderItem.product_id == "prd_1")
    by_line, _ = orders.start_refund(order.id, staff, lines=[{"item_id": item.id, "quantity": 1}])
    own_line, _ = orders.start_refund(order.id, staff, lines=[{"item_id": own.id, "quantity": 1}])
    by_amount, _ = orders.start_refund(order.id, staff, amount=500)  # 300 x 500 / 5000 = 30
    run_jobs(order.id)
    assert -wallet.find_line("cashback_reversal", by_line.id, "spending").amount == 100
    assert wallet.find_line("cashback_reversal", own_line.id, "spending") is None  # the shop's own line: none
    assert -wallet.find_line("cashback_reversal", by_amount.id, "spending").amount == 30
    assert available(buyer) == 170
    rest, _ = orders.start_refund(order.id, staff)  # the rest of the payment: what is left of the cashback
    run_jobs(order.id)
    assert -wallet.find_line("cashback_reversal", rest.id, "spending").amount == 170
    assert available(buyer) == 0
    assert len(credits(buyer)) == 1
    assert_ledger_adds_up()


def test_a_reversal_after_the_cashback_was_spent_takes_what_is_left_and_records_the_shortfall(db):
    buyer, staff = quick_user(), quick_user(role="staff")
    store = partner(500)
    order = make_order(buyer, [(store, 4000, 1)])
    deliver(order)
    run_jobs(order.id)
    wallet.debit(buyer.id, 150, "USD", source_type="order", source_ref="ord_elsewhere")  # spent most of it
    refund, _ = orders.start_refund(order.id, staff)
    run_jobs(order.id)
    line = wallet.find_line("cashback_reversal", refund.id, "spending")
    assert line.amount == -50 and line.metadata == {"orderId": order.id, "refundId": refund.id,
                                                    "requested": 200, "shortfall": 150}
    assert available(buyer) == 0
    run_jobs(order.id)  # again: nothing more taken
    assert available(buyer) == 0 and wallet.find_line("cashback_reversal", refund.id, "spending").id == line.id
    assert_ledger_adds_up()


def test_a_refund_before_the_credit_runs_is_reversed_by_the_delivery_job(db):
    buyer, staff = quick_user(), quick_user(role="staff")
    store = partner(500)
    order = make_order(buyer, [(store, 4000, 1)])
    deliver(order)
    orders.start_refund(order.id, staff, amount=2250)  # half the payment (4500)
    outcomes = run_jobs(order.id)  # the delivery job first (oldest), then the refund's
    assert outcomes[0]["credited"] == 200 and outcomes[0]["reversals"][0]["requested"] == 100
    assert available(buyer) == 100


def test_the_cashback_job_runs_through_the_declared_actor(db):
    from services.platform.job_types import job_type
    from workers import payments

    assert job_type("cashback").queue == "payments"
    assert payments.settle_cashback.queue_name == "payments"
