"""Selling by weight through the API (seed 003): variants sold by weight on product writes and
reads, weight cart lines (422 reasons, nothing written), a weight line placed as an order, read
back and refunded by line, and concurrent checkouts of the last grams (no oversell)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import jsonschema_rs
import pytest

from models.carts import Cart, CartItem
from models.catalog import InventoryLevel, Product
from models.orders import Order, OrderAllocation, OrderItem
from tests.factories import (ApiClient, assert_error, checkout_body, first_variant, make_product, make_weight_product,
                             quick_user, token_for)

CUT = {"name": "Cut to order", "sku": "TOMME-CUT", "price": 3490, "soldBy": "weight", "weightStepGrams": 50,
       "minWeightGrams": 100, "inventoryCount": 5000}


def new_cart(api) -> str:
    status, body, _ = api.post("/api/v1/cart", {"currency": "USD"})
    assert status == 201, body
    return body["data"]["id"]


def checkout(api, cart_id) -> str:
    """Place the cart's order (cash on delivery) and wait for its checkout job; the order id."""
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id))
    assert status == 202, body
    job = api.wait_job(body["data"]["id"], timeout=60)
    assert job["state"] == "succeeded", job
    return job["result"]["orderId"]


def add(api, cart_id, product, **fields):
    body = {"productId": product.id, "variantId": first_variant(product).id, **fields}
    return api.post(f"/api/v1/cart/{cart_id}/items", body)[:2]


def test_a_product_with_a_variant_sold_by_weight_is_created_and_read(api, admin_token):
    status, body, _ = api.post("/api/v1/products", {"name": "Tomme", "kind": "cheese", "variants": [CUT]},
                               token=admin_token)
    assert status == 201, body
    [variant] = body["data"]["variants"]
    assert (variant["soldBy"], variant["weightStepGrams"], variant["minWeightGrams"]) == ("weight", 50, 100)
    assert (variant["price"], variant["inventoryCount"]) == (3490, 5000)  # per kg, grams
    status, read, _ = api.get(f"/api/v1/products/{body['data']['id']}")
    assert read["data"]["variants"][0]["soldBy"] == "weight"
    status, body, _ = api.post("/api/v1/products", {"name": "Soap", "variants": [{"price": 500}]}, token=admin_token)
    assert body["data"]["variants"][0]["soldBy"] == "unit" and body["data"]["variants"][0]["minWeightGrams"] is None


@pytest.mark.parametrize("variant, reason", [
    ({"price": 100, "soldBy": "weight"}, "invalid_weight_step"),
    ({"price": 100, "soldBy": "weight", "weightStepGrams": 50, "minWeightGrams": 120}, "invalid_weight_step"),
    ({"price": 100, "weightStepGrams": 50, "minWeightGrams": 100}, "weight_fields_for_unit_variant"),
])
def test_bad_weight_fields_are_refused_and_nothing_is_written(api, admin_token, variant, reason):
    status, body, _ = api.post("/api/v1/products", {"name": "Bad", "variants": [variant]}, token=admin_token)
    assert_error(status, body, 422, reason)
    assert Product.select().count() == 0


@pytest.mark.parametrize("variant", [
    {"price": 100, "soldBy": "kilo"}, {"price": 100, "soldBy": "weight", "weightStepGrams": 30, "minWeightGrams": 90},
    {"price": 100, "soldBy": "weight", "weightStepGrams": 50, "minWeightGrams": 0},
])
def test_weight_fields_out_of_their_documented_values_are_a_validation_error(api, admin_token, variant):
    status, body, _ = api.post("/api/v1/products", {"name": "Bad", "variants": [variant]}, token=admin_token)
    assert_error(status, body, 422)
    assert body["error"]["code"] == "VALIDATION_ERROR" and body["error"]["details"][0]["field"].startswith("variants.0")
    assert Product.select().count() == 0


def test_the_openapi_document_says_which_weight_fields_fit(api):
    spec = api.get("/api/v1/openapi.json")[1]
    schemas = spec["components"]["schemas"]
    create = {**schemas["VariantCreate"], "components": spec["components"]}
    good = {"price": 1, "soldBy": "weight", "weightStepGrams": 50, "minWeightGrams": 150}
    validator = jsonschema_rs.validator_for(create)
    assert validator.is_valid(good)
    for bad in ({"price": 1, "soldBy": "weight"}, {**good, "minWeightGrams": 120},
                {"price": 1, "weightStepGrams": 50, "minWeightGrams": 100}):
        assert not validator.is_valid(bad), bad
    item = schemas["CartItemCreate"]["properties"]["weight"]
    assert item["minimum"] == 1


def test_a_weight_line_is_added_and_shown_with_its_weight_and_price_per_kg(api, db):
    product = make_weight_product(price_per_kg=3490)
    cart_id = new_cart(api)
    status, body = add(api, cart_id, product, quantity=2, weight=150)
    assert status == 200, body
    [item] = body["data"]["items"]
    assert (item["soldBy"], item["weight"], item["pricePerKg"]) == ("weight", 150, 3490)
    assert (item["unitPrice"], item["totalPrice"]) == (524, 1048)  # 523.5 rounded half up, per piece
    status, body, _ = api.put(f"/api/v1/cart/{cart_id}/items/{item['id']}", {"quantity": 1, "weight": 250})
    assert status == 200 and body["data"]["items"][0]["unitPrice"] == 873, body  # 872.5 -> 873


@pytest.mark.parametrize("fields, reason", [
    ({"quantity": 1, "weight": 120}, "weight_not_a_step_multiple"),
    ({"quantity": 1, "weight": 50}, "weight_below_minimum"),
])
def test_bad_weights_are_422_with_a_reason_and_write_nothing(api, db, fields, reason):
    product = make_weight_product()
    cart_id = new_cart(api)
    status, body = add(api, cart_id, product, **fields)
    assert_error(status, body, 422, reason)
    assert body["error"]["details"] == [{"field": "weight", "message": body["error"]["details"][0]["message"]}]
    assert CartItem.select().where(CartItem.cart == cart_id).count() == 0


def test_a_unit_variant_refuses_a_weight(api, db):
    product = make_product()
    cart_id = new_cart(api)
    assert_error(*add(api, cart_id, product, quantity=1, weight=100), 422, "weight_not_applicable")
    assert CartItem.select().where(CartItem.cart == cart_id).count() == 0


def test_more_grams_than_in_stock_is_409(api, db):
    product = make_weight_product(grams=500)
    cart_id = new_cart(api)
    assert_error(*add(api, cart_id, product, quantity=3, weight=200), 409, "out_of_stock")


def test_a_weight_line_is_ordered_taking_grams_and_refunded_by_line(api, db):
    staff = token_for(quick_user(role="staff"))
    product = make_weight_product(price_per_kg=3490, grams=5000)
    variant = first_variant(product)
    cart_id = new_cart(api)
    assert add(api, cart_id, product, quantity=2, weight=250)[0] == 200  # 2 x 873
    order_id = checkout(api, cart_id)
    assert InventoryLevel.get(InventoryLevel.variant == variant.id).quantity == 5000 - 500
    assert OrderAllocation.get(OrderAllocation.order == order_id).quantity == 500
    line = OrderItem.get(OrderItem.order == order_id)
    assert (line.quantity, line.weight_grams, line.price_per_kg, line.unit_price) == (2, 250, 3490, 873)
    status, body, _ = api.get(f"/api/v1/orders/{order_id}", token=staff)
    [item] = body["data"]["items"]
    assert (item["weight"], item["pricePerKg"], item["soldBy"], item["totalPrice"]) == (250, 3490, "weight", 1746)
    for status_ in ("shipped", "delivered"):  # delivering cash on delivery marks it paid
        assert api.put(f"/api/v1/orders/{order_id}/status", {"status": status_}, token=staff)[0] == 200
    order = Order.get_by_id(order_id)
    status, body, _ = api.post(f"/api/v1/orders/{order_id}/refunds",
                               {"lines": [{"itemId": line.id, "quantity": 1}]}, token=staff)
    assert status == 201, body
    assert body["data"]["refund"]["amount"] == round((order.total - order.shipping) / 2)  # one of two pieces
    assert Order.get_by_id(order_id).payment_status == "partially_refunded"


def test_a_cancelled_weight_order_gives_its_grams_back(api, db):
    staff = token_for(quick_user(role="staff"))
    product = make_weight_product(grams=1000)
    cart_id = new_cart(api)
    add(api, cart_id, product, quantity=3, weight=200)
    order_id = checkout(api, cart_id)
    level = lambda: InventoryLevel.get(InventoryLevel.variant == first_variant(product).id).quantity  # noqa: E731
    assert level() == 400
    assert api.put(f"/api/v1/orders/{order_id}/status", {"status": "cancelled"}, token=staff)[0] == 200
    assert level() == 1000


def test_parallel_checkouts_of_the_last_grams_never_oversell(app, api):
    product = make_weight_product(grams=1000)
    carts = []
    for _ in range(7):  # 7 x 250 g wanted, 1 000 g on hand: exactly four orders
        cart_id = new_cart(api)
        assert add(api, cart_id, product, quantity=1, weight=250)[0] == 200
        carts.append(cart_id)

    def parallel_checkout(cart_id):
        client = ApiClient(app.test_client())
        status, body, _ = client.post("/api/v1/orders", checkout_body(cart_id))
        if status != 202:
            return status, None
        return status, client.wait_job(body["data"]["id"], timeout=60)

    with ThreadPoolExecutor(max_workers=7) as pool:
        outcomes = list(pool.map(parallel_checkout, carts))
    succeeded = [job for _, job in outcomes if job and job["state"] == "succeeded"]
    refused = [(status, job) for status, job in outcomes if job is None or job["state"] != "succeeded"]
    assert len(succeeded) == 4, outcomes
    assert all(status == 409 or job["error"]["code"] == "INVENTORY_ERROR" for status, job in refused), refused
    assert Order.select().count() == 4 and Cart.select().where(Cart.status == "converted").count() == 4
    assert InventoryLevel.get(InventoryLevel.variant == first_variant(product).id).quantity == 0
