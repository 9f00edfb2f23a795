"""Partner cashback through the API (seed 002): a signed-in customer's order from a partner store,
delivered by staff, gets its `cashback` job run by the worker; the order view shows it pending,
then credited, then reversed after a staff refund; the wallet shows the ledger lines."""

from __future__ import annotations

from models.catalog import Store
from models.jobs import Job
from tests.factories import make_product, make_store, make_user, place_order, token_for


def _deliver(api, order_id, staff):
    for status in ("shipped", "delivered"):
        code, body, _ = api.put(f"/api/v1/orders/{order_id}/status", {"status": status}, token=staff)
        assert code == 200, body
    return body["data"]


def test_a_delivered_partner_order_credits_the_wallet_and_a_refund_reverses_it(api):
    store = make_store(name="Partner bakery")
    Store.update(is_partner=True, cashback_bp=350).where(Store.id == store.id).execute()
    buyer = make_user()
    token, staff = token_for(buyer), token_for(make_user(role="staff"))
    order_id = place_order(api, make_product(name="Cake", price=2000, stock=5, store=store.id), token=token, quantity=2)
    code, body, _ = api.get(f"/api/v1/orders/{order_id}", token=token)
    assert code == 200 and body["data"]["cashback"] == {"amount": 140, "currency": "USD", "status": "pending",
                                                        "reversedAmount": 0}  # 4000 x 3.5%
    _deliver(api, order_id, staff)
    job = Job.get(Job.type == "cashback")
    assert api.wait_job(job.id, token=token)["state"] == "succeeded"
    code, body, _ = api.get(f"/api/v1/orders/{order_id}", token=token)
    assert body["data"]["cashback"]["status"] == "credited" and body["data"]["cashback"]["amount"] == 140
    code, body, _ = api.get("/api/v1/wallet/transactions", token=token)
    assert code == 200, body
    assert [(t["type"], t["amount"], t["source"]["type"]) for t in body["data"]] == [("earning", 140, "cashback")]
    code, body, _ = api.post(f"/api/v1/orders/{order_id}/refunds", {}, token=staff)
    assert code in (200, 201, 202), body
    reversal = Job.select().where(Job.type == "cashback", Job.id != job.id).get()
    assert api.wait_job(reversal.id, token=token)["state"] == "succeeded"
    code, body, _ = api.get(f"/api/v1/orders/{order_id}", token=token)
    assert body["data"]["cashback"] == {"amount": 140, "currency": "USD", "status": "reversed",
                                        "reversedAmount": 140}
    code, body, _ = api.get("/api/v1/wallet/balance", token=token)
    assert code == 200 and body["data"]["available"] == 0, body


def test_a_guest_order_shows_no_cashback(api):
    store = make_store(name="Partner florist")
    Store.update(is_partner=True, cashback_bp=500).where(Store.id == store.id).execute()
    order_id = place_order(api, make_product(name="Roses", price=900, stock=5, store=store.id))
    data = _deliver(api, order_id, token_for(make_user(role="staff")))
    assert data["cashback"] is None
    assert not Job.select().where(Job.type == "cashback").exists()


def test_a_courier_delivering_writes_the_cashback_job(api):
    store = make_store(name="Partner grocer")
    Store.update(is_partner=True, cashback_bp=1000).where(Store.id == store.id).execute()
    buyer, courier = make_user(), make_user(role="courier")
    token, staff, courier_token = token_for(buyer), token_for(make_user(role="staff")), token_for(courier)
    order_id = place_order(api, make_product(name="Figs", price=1234, stock=5, store=store.id), token=token)
    assert api.put(f"/api/v1/orders/{order_id}/courier", {"courierId": courier.id}, token=staff)[0] == 200
    assert api.put(f"/api/v1/orders/{order_id}/delivery", {"status": "out_for_delivery"}, token=courier_token)[0] == 200
    code, body, _ = api.put(f"/api/v1/orders/{order_id}/delivery", {"status": "delivered", "cashCollected": True},
                            token=courier_token)
    assert code == 200, body
    job = Job.get(Job.type == "cashback")
    assert job.payload == {"orderId": order_id, "rates": {store.id: 1000}}
    assert api.wait_job(job.id, token=token)["state"] == "succeeded"
    code, body, _ = api.get(f"/api/v1/orders/{order_id}", token=token)
    assert body["data"]["cashback"]["amount"] == 123 and body["data"]["cashback"]["status"] == "credited"  # 123.4
