"""Live updates over SSE: order status and stock streams fed by real checkouts and payments
through the worker (in-process hub on SQLite + stub broker; Redis pub/sub from the `dramatiq`
process on PostgreSQL + Redis), visibility, routing, the per-process cap, Last-Event-ID,
keep-alives, the time limit and the polling fallback."""

from __future__ import annotations

import time

import pytest
import stripe

from models.orders import Order
from services import orders
from services.catalog import inventory
from services.platform import live
from tests.factories import checkout_body, fill_cart, first_variant, make_product, make_user, token_for
from tests.factories.sse import EventStream


@pytest.fixture()
def stream_app(app):
    """The app with stream timings for tests: keep-alives every 0.3 s (so a reader can stop
    promptly) and no polling within a test (60 s), so updates must come through pub/sub."""
    app.config.update(SSE_KEEPALIVE_SECONDS=0.3, SSE_POLL_SECONDS=60, SSE_MAX_SECONDS=30, SSE_MAX_STREAMS=4)
    return app


def stripe_checkout(api, token, settings):
    if not settings.stripe_enabled:
        pytest.skip("localstripe not available")
    stripe.api_key, stripe.api_base = settings.stripe_secret_key, settings.stripe_api_base
    product = make_product(price=2950, stock=5)
    cart_id = fill_cart(api, product, token=token)
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id, payment="stripe"), token=token,
                               headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["state"] == "succeeded", body
    return body["data"]["result"]["orderId"]


def cod_checkout(api, product, quantity=1, token=None):
    cart_id = fill_cart(api, product, quantity=quantity, token=token)
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id), token=token, headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["state"] == "succeeded", body
    return body["data"]["result"]["orderId"]


def test_order_status_stream_shows_the_order_confirmed_and_paid_by_the_payment_worker(stream_app, api, settings):
    user = make_user()
    token = token_for(user)
    order_id = stripe_checkout(api, token, settings)
    stream = EventStream(stream_app, f"/api/v1/orders/{order_id}/events", token=token)
    try:
        assert stream.status == 200 and stream.headers["Content-Type"].startswith("text/event-stream")
        first = stream.next()
        assert first["event"] == "order-status" and first["id"]
        assert (first["data"]["orderId"], first["data"]["status"], first["data"]["paymentStatus"]) == \
            (order_id, "pending", "pending")
        card = stripe.PaymentMethod.create(type="card", card={"number": "4242424242424242", "exp_month": 12,
                                                              "exp_year": 2034, "cvc": "123"})
        status, body, _ = api.post(f"/api/v1/orders/{order_id}/payment",
                                   {"paymentMethod": "stripe", "paymentMethodId": card.id}, token=token)
        assert status == 202, body
        paid = stream.next(lambda e: e["data"]["paymentStatus"] == "paid")
        assert paid["data"]["status"] == "confirmed" and paid["id"] != first["id"]
        assert stream.retry == 3000
    finally:
        stream.close()


def test_my_orders_stream_announces_a_new_order_placed_by_the_checkout_worker(stream_app, api):
    user = make_user()
    token = token_for(user)
    product = make_product(stock=5)
    earlier = cod_checkout(api, product, token=token)
    stream = EventStream(stream_app, "/api/v1/orders/events", token=token)
    try:
        assert stream.next()["data"]["orderId"] == earlier  # current state first
        placed = cod_checkout(api, product, token=token)
        event = stream.next(lambda e: e["data"]["orderId"] == placed)
        assert (event["data"]["status"], event["data"]["paymentStatus"]) == ("confirmed", "pending")
        # Someone else's order never shows up on my stream.
        other = token_for(make_user())
        foreign = cod_checkout(api, product, token=other)
        staff_stream = EventStream(stream_app, "/api/v1/orders/events", token=token_for(make_user(role="staff")))
        try:
            assert staff_stream.next(lambda e: e["data"]["orderId"] == foreign)  # staff see every order
        finally:
            staff_stream.close()
        time.sleep(0.5)
        assert all(e["data"]["orderId"] != foreign for e in list(stream.events.queue))
    finally:
        stream.close()


def test_staff_status_change_reaches_the_order_stream(stream_app, api):
    product = make_product(stock=5)
    order_id = cod_checkout(api, product)  # a guest order: its id is enough to watch it
    stream = EventStream(stream_app, f"/api/v1/realtime/order-status/{order_id}")
    try:
        assert stream.next()["data"]["status"] == "confirmed"
        staff = token_for(make_user(role="staff"))
        status, body, _ = api.put(f"/api/v1/orders/{order_id}/status",
                                  {"status": "shipped", "trackingNumber": "TRK-1"}, token=staff)
        assert status == 200, body
        event = stream.next(lambda e: e["data"]["status"] == "shipped")
        assert event["data"]["trackingNumber"] == "TRK-1"
    finally:
        stream.close()


def test_stock_updates_stream_shows_the_units_a_checkout_took(stream_app, api):
    product = make_product(stock=5)
    other = make_product(name="Other", stock=2)
    stream = EventStream(stream_app, f"/api/v1/products/stock-updates?productIds={product.id},{other.id}")
    try:
        first = {stream.next()["data"]["productId"]: None for _ in range(2)}
        assert set(first) == {product.id, other.id}
        cod_checkout(api, product, quantity=2)
        event = stream.next(lambda e: e["data"]["productId"] == product.id)
        assert event["event"] == "stock-update"
        assert event["data"]["inventoryCount"] == 3 and event["data"]["available"] is True
        assert event["data"]["variants"] == [{"variantId": first_variant(product).id, "inventoryCount": 3,
                                              "available": True}]
        cod_checkout(api, other, quantity=2)
        sold_out = stream.next(lambda e: e["data"]["productId"] == other.id)
        assert sold_out["data"]["inventoryCount"] == 0 and sold_out["data"]["available"] is False
    finally:
        stream.close()


def test_order_stream_is_404_for_another_customers_order_and_for_anonymous_callers(stream_app, api, client):
    owner = make_user()
    order_id = cod_checkout(api, make_product(stock=3), token=token_for(owner))
    for headers in ({"Authorization": f"Bearer {token_for(make_user())}"}, {}):
        for path in (f"/api/v1/orders/{order_id}/events", f"/api/v1/realtime/order-status/{order_id}"):
            response = client.get(path, headers=headers)
            assert response.status_code == 404, path
            assert response.get_json()["error"]["code"] == "RESOURCE_NOT_FOUND"
    assert client.get("/api/v1/orders/ord_doesnotexist/events").status_code == 404
    for token in (token_for(owner), token_for(make_user(role="staff"))):
        response = client.get(f"/api/v1/orders/{order_id}/events", headers={"Authorization": f"Bearer {token}"},
                              buffered=False)
        assert response.status_code == 200
        response.close()


def test_my_orders_stream_requires_authentication(client):
    response = client.get("/api/v1/orders/events")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "AUTHENTICATION_ERROR"


def test_stream_routes_are_not_shadowed_by_the_product_and_order_id_routes(app, client):
    adapter = app.url_map.bind("localhost")
    assert adapter.match("/api/v1/products/stock-updates")[0] == "product_stock_updates.StockUpdatesStream"
    assert adapter.match("/api/v1/products/prod_abc")[0] == "products.ProductById"
    assert adapter.match("/api/v1/orders/events")[0] == "streams.OrdersStatusStream"
    assert adapter.match("/api/v1/orders/ord_abc")[0] == "orders.OrderById"
    # Over HTTP: the stream's own validation answers, not "product not found".
    body = client.get("/api/v1/products/stock-updates").get_json()
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert any(d["field"] == "productIds" for d in body["error"]["details"])


def test_stock_updates_rejects_malformed_too_many_unknown_and_inactive_products(app, client):
    product = make_product(stock=1)
    draft = make_product(name="Draft", stock=1, status="draft")
    cases = {
        "productIds=not-an-id": (422, "VALIDATION_ERROR"),
        "productIds=,,": (422, "VALIDATION_ERROR"),
        "productIds=" + ",".join(f"prod_{n:04d}" for n in range(51)): (422, "VALIDATION_ERROR"),
        f"productIds={product.id},prod_doesnotexist": (404, "RESOURCE_NOT_FOUND"),
        f"productIds={draft.id}": (404, "RESOURCE_NOT_FOUND"),
    }
    for query, (status, code) in cases.items():
        response = client.get(f"/api/v1/products/stock-updates?{query}")
        assert response.status_code == status, (query, response.get_json())
        assert response.get_json()["error"]["code"] == code


def test_streams_are_capped_per_process_with_a_503_envelope(stream_app, client):
    stream_app.config["SSE_MAX_STREAMS"] = 1
    product = make_product(stock=1)
    path = f"/api/v1/products/stock-updates?productIds={product.id}"
    held = client.get(path, buffered=False)
    assert held.status_code == 200
    full = stream_app.test_client().get(path)
    assert full.status_code == 503 and full.headers["Retry-After"] == "5"
    error = full.get_json()["error"]
    assert (error["code"], error["reason"]) == ("SERVICE_UNAVAILABLE", "too_many_streams")
    job_stream = stream_app.test_client().get("/api/v1/jobs/job_doesnotexist/events")
    assert job_stream.status_code == 404  # visibility is checked before a slot is taken
    held.close()  # closing a never-read stream gives its slot back
    again = stream_app.test_client().get(path, buffered=False)
    assert again.status_code == 200
    again.close()


def test_job_event_streams_count_against_the_same_cap(stream_app, api, client):
    stream_app.config["SSE_MAX_STREAMS"] = 1
    product = make_product(stock=3)
    cart_id = fill_cart(api, product)
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id), headers={"Prefer": "wait=10"})
    job_id = body["data"]["id"]
    held = client.get(f"/api/v1/products/stock-updates?productIds={product.id}", buffered=False)
    assert held.status_code == 200
    refused = stream_app.test_client().get(f"/api/v1/jobs/{job_id}/events")
    assert refused.status_code == 503 and refused.get_json()["error"]["reason"] == "too_many_streams"
    held.close()
    response = stream_app.test_client().get(f"/api/v1/jobs/{job_id}/events")
    assert response.status_code == 200 and '"state":"succeeded"' in response.get_data(as_text=True)


def test_last_event_id_of_the_current_state_skips_the_first_event(stream_app, api):
    order_id = cod_checkout(api, make_product(stock=2))
    stream = EventStream(stream_app, f"/api/v1/orders/{order_id}/events")
    first = stream.next()
    stream.close()
    stream_app.config["SSE_MAX_SECONDS"] = 1
    resumed = EventStream(stream_app, f"/api/v1/orders/{order_id}/events", headers={"Last-Event-ID": first["id"]})
    assert resumed.done.wait(10)
    assert resumed.events.empty()  # nothing changed since the client's last event
    assert any("time limit" in c for c in resumed.comments) and "keep-alive" in resumed.comments
    stale = EventStream(stream_app, f"/api/v1/orders/{order_id}/events", headers={"Last-Event-ID": "0" * 16})
    assert stale.next()["id"] == first["id"]  # an older id gets the current state
    stale.done.wait(10)


def test_the_stream_polls_when_pub_sub_is_unavailable(stream_app, monkeypatch):
    monkeypatch.setattr(live, "subscribe", lambda channels: live.NullSubscription())
    stream_app.config["SSE_POLL_SECONDS"] = 0.3
    product = make_product(stock=4)
    stream = EventStream(stream_app, f"/api/v1/products/stock-updates?productIds={product.id}")
    try:
        assert stream.next()["data"]["inventoryCount"] == 4
        inventory.set_stock(first_variant(product).id, 1)
        assert stream.next(lambda e: e["data"]["inventoryCount"] == 1, timeout=5)
    finally:
        stream.close()


def test_stream_endpoints_are_documented_as_event_streams(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/orders/{order_id}/events", "/api/v1/orders/events", "/api/v1/products/stock-updates",
                 "/api/v1/realtime/order-status/{order_id}", "/api/v1/realtime/stock-updates"):
        operation = spec["paths"][path]["get"]
        assert "text/event-stream" in operation["responses"]["200"]["content"], path
        assert "503" in operation["responses"], path


def test_a_message_wakes_the_stream_which_sends_the_state_read_from_the_database(stream_app, api):
    """Messages are hints: the stream re-reads the order and sends what changed."""
    order_id = cod_checkout(api, make_product(stock=2))
    for _ in range(3):
        stream = EventStream(stream_app, f"/api/v1/orders/{order_id}/events")
        try:
            first = stream.next()
            Order.update(tracking_number=f"T-{time.monotonic_ns()}").where(Order.id == order_id).execute()
            live.publish(orders.order_channel(order_id), {"orderId": order_id})
            changed = stream.next(lambda e: e["id"] != first["id"])
            assert changed["data"]["trackingNumber"].startswith("T-")
        finally:
            stream.close()


def test_cart_sync_tells_my_other_devices_about_every_cart_change(stream_app, api):
    user = make_user()
    token = token_for(user)
    cart_id = api.get("/api/v1/cart", token=token)[1]["data"]["id"]
    stream = EventStream(stream_app, "/api/v1/realtime/cart-sync", token=token)
    try:
        first = stream.next()
        assert first["event"] == "cart-update" and first["data"]["cartId"] == cart_id
        assert first["data"]["itemCount"] == 0
        product = make_product(stock=5)
        status, body, _ = api.post(f"/api/v1/cart/{cart_id}/items", {"productId": product.id, "quantity": 2},
                                   token=token)
        assert status == 200, body
        update = stream.next(lambda e: e["data"]["itemCount"] == 2)
        assert update["data"]["cartId"] == cart_id and update["data"]["status"] == "active"
        assert api.delete(f"/api/v1/cart/{cart_id}", token=token)[0] == 200
        assert stream.next(lambda e: e["data"]["itemCount"] == 0)["data"]["cartId"] == cart_id
    finally:
        stream.close()


def test_cart_sync_requires_authentication(client):
    response = client.get("/api/v1/realtime/cart-sync")
    assert response.status_code == 401
