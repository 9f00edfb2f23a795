"""Warehouses (issue 9, seed 000): admin routes (roles, bad input, in-use rules), stock read
across active warehouses, transfers, reservations per warehouse, and checkout allocating an
order's lines to the warehouses serving the address, with the estimate and the cancellation
giving units back where they came from; every level still equals its ledger."""

from __future__ import annotations

import datetime as dt

import pytest

from models.catalog import InventoryLevel
from models.inventory import StockReservation
from services import catalog
from services.orders.shipping import add_business_days
from tests.factories import (assert_error, checkout_body, fill_cart, first_variant, make_product, quick_user,
                             token_for)

WH = "/api/v1/warehouses"
INV = "/api/v1/inventory"
JORDAN = {"code": "amman", "name": "Amman hub", "regions": ["JO"], "priority": 5,
          "address": {"city": "Amman", "country": "JO", "postalCode": "11118"}, "location": {"lat": 31.95, "lng": 35.93},
          "shippingEstimates": {"JO": {"minDays": 1, "maxDays": 2}}}


@pytest.fixture()
def staff_token(db):
    return token_for(quick_user(role="staff"))


def create(api, admin_token, **overrides):
    status, body, _ = api.post(WH, {**JORDAN, **overrides}, token=admin_token)
    assert status == 201, body
    return body["data"]


def units(variant_id, warehouse_id):
    row = InventoryLevel.get_or_none(InventoryLevel.variant == variant_id, InventoryLevel.warehouse == warehouse_id)
    return (row.quantity, row.reserved) if row else (0, 0)


def assert_ledger_adds_up():
    for lv in InventoryLevel.select():
        assert catalog.ledger_totals(lv.variant_id, lv.warehouse_id) == (lv.quantity, lv.reserved)


def checkout(api, cart_id, token=None):
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id), token=token)
    assert status == 202, body
    job = api.wait_job(body["data"]["id"], token=token)
    assert job["state"] == "succeeded", job
    return job["result"]["orderId"]


# --------------------------------------------------------------------------- admin routes

def test_an_admin_creates_reads_changes_and_deletes_a_warehouse(api, admin_token, staff_token):
    data = create(api, admin_token)
    assert (data["code"], data["regions"], data["priority"], data["active"], data["isDefault"]) == (
        "amman", ["JO"], 5, True, False)
    assert data["location"] == {"lat": 31.95, "lng": 35.93} and data["address"]["postalCode"] == "11118"
    assert data["shippingEstimates"] == {"JO": {"minDays": 1, "maxDays": 2}}
    listed = api.get(WH, token=staff_token)[1]["data"]
    assert [w["code"] for w in listed] == ["default", "amman"] and listed[0]["regions"] == ["*"]
    status, body, _ = api.put(f"{WH}/{data['id']}", {"regions": ["JO", "ps"], "active": False}, token=admin_token)
    assert status == 200 and body["data"]["regions"] == ["JO", "PS"] and body["data"]["active"] is False
    assert api.get(f"{WH}/{data['id']}", token=staff_token)[1]["data"]["active"] is False
    assert api.delete(f"{WH}/{data['id']}", token=admin_token)[0] == 200
    assert_error(*api.get(f"{WH}/{data['id']}", token=staff_token)[:2], 404, reason="warehouse_not_found")


def test_warehouse_roles_staff_read_admins_write_customers_nothing(api, token, staff_token):
    assert api.get(WH)[0] == 401
    assert api.get(WH, token=token)[0] == 403
    assert api.get(WH, token=staff_token)[0] == 200
    assert_error(*api.post(WH, JORDAN, token=staff_token)[:2], 403, reason="insufficient_role")
    assert api.put(f"{WH}/wh_default", {"priority": 3}, token=staff_token)[0] == 403
    assert api.delete(f"{WH}/wh_default", token=token)[0] == 403


@pytest.mark.parametrize("body, field", [
    ({"regions": ["Jordan"]}, "regions"),
    ({"regions": []}, "regions"),
    ({"code": "has space"}, "code"),
    ({"location": {"lat": 91, "lng": 0}}, "location"),
    ({"shippingEstimates": {"JO": {"minDays": -1, "maxDays": 2}}}, "shippingEstimates"),
    ({"priority": "1"}, "priority"),
])
def test_bad_warehouse_input_is_422(api, admin_token, body, field):
    status, payload, _ = api.post(WH, {**JORDAN, **body}, token=admin_token)
    assert status == 422, payload
    assert any(d["field"].startswith(field) for d in payload["error"]["details"]), payload


def test_warehouse_rules_estimates_codes_and_the_default(api, admin_token):
    assert_error(*api.post(WH, {**JORDAN, "shippingEstimates": {"US": {"minDays": 1, "maxDays": 2}}},
                           token=admin_token)[:2], 422, reason="invalid_shipping_estimate")
    assert_error(*api.post(WH, {**JORDAN, "shippingEstimates": {"JO": {"minDays": 3, "maxDays": 2}}},
                           token=admin_token)[:2], 422, reason="invalid_shipping_estimate")
    create(api, admin_token)
    assert_error(*api.post(WH, {**JORDAN, "code": "AMMAN"}, token=admin_token)[:2], 409, reason="warehouse_code_taken")
    assert_error(*api.put(f"{WH}/wh_default", {"regions": ["JO"]}, token=admin_token)[:2], 422,
                 reason="default_warehouse_regions")
    assert_error(*api.delete(f"{WH}/wh_default", token=admin_token)[:2], 409, reason="default_warehouse")
    assert_error(*api.get(f"{WH}/wh_nope", token=admin_token)[:2], 404, reason="warehouse_not_found")


def test_a_warehouse_that_held_stock_cannot_be_deleted(api, admin_token):
    wh = create(api, admin_token)
    catalog.restock(first_variant(make_product(stock=0)).id, 3, warehouse_id=wh["id"])
    assert_error(*api.delete(f"{WH}/{wh['id']}", token=admin_token)[:2], 409, reason="warehouse_in_use")


# --------------------------------------------------------------------------- stock across warehouses

def test_shoppers_see_units_of_active_warehouses_and_staff_each_level(api, admin_token, staff_token):
    wh = create(api, admin_token)
    product = make_product(stock=2)
    variant = first_variant(product)
    catalog.restock(variant.id, 5, warehouse_id=wh["id"])
    assert api.get(f"/api/v1/products/{product.id}")[1]["data"]["variants"][0]["inventoryCount"] == 7
    staff = api.get(f"{INV}/{product.id}/variants/{variant.id}", token=staff_token)[1]["data"]
    assert staff["onHand"] == 7 and {w["code"]: w["onHand"] for w in staff["warehouses"]} == {"default": 2, "amman": 5}
    api.put(f"{WH}/{wh['id']}", {"active": False}, token=admin_token)
    assert api.get(f"{INV}/{product.id}/variants/{variant.id}")[1]["data"]["available"] == 2
    assert api.get(f"/api/v1/products/{product.id}")[1]["data"]["variants"][0]["inventoryCount"] == 2


def test_low_stock_per_warehouse_or_summed(api, admin_token, staff_token):
    wh = create(api, admin_token)
    product = make_product(stock=8)  # threshold 10
    catalog.restock(first_variant(product).id, 20, warehouse_id=wh["id"])
    summed = api.get(f"{INV}/low-stock", token=staff_token)[1]["data"]
    assert product.id not in [r["productId"] for r in summed]
    default = api.get(f"{INV}/low-stock?warehouseId=wh_default", token=staff_token)[1]["data"]
    assert [r["available"] for r in default if r["productId"] == product.id] == [8]
    assert_error(*api.get(f"{INV}/low-stock?warehouseId=wh_nope", token=staff_token)[:2], 404,
                 reason="warehouse_not_found")


def test_staff_transfer_units_between_warehouses(api, admin_token, staff_token, token):
    wh = create(api, admin_token)
    variant = first_variant(make_product(stock=5))
    body = {"variantId": variant.id, "fromWarehouseId": "wh_default", "toWarehouseId": wh["id"], "quantity": 3}
    status, payload, _ = api.post(f"{INV}/transfer", body, token=staff_token)
    assert status == 201, payload
    assert (payload["data"]["fromAvailable"], payload["data"]["toAvailable"]) == (2, 3)
    assert units(variant.id, "wh_default") == (2, 0) and units(variant.id, wh["id"]) == (3, 0)
    assert_error(*api.post(f"{INV}/transfer", {**body, "quantity": 3}, token=staff_token)[:2], 409,
                 reason="out_of_stock")
    assert_error(*api.post(f"{INV}/transfer", {**body, "toWarehouseId": "wh_default"}, token=staff_token)[:2], 422,
                 reason="same_warehouse")
    assert_error(*api.post(f"{INV}/transfer", {**body, "toWarehouseId": "wh_nope"}, token=staff_token)[:2], 404,
                 reason="warehouse_not_found")
    assert api.post(f"{INV}/transfer", body, token=token)[0] == 403
    assert units(variant.id, "wh_default") == (2, 0)
    assert_ledger_adds_up()


def test_a_reservation_holds_in_the_named_or_first_stocked_warehouse(api, admin_token):
    wh = create(api, admin_token)
    product = make_product(stock=0)
    variant = first_variant(product)
    catalog.restock(variant.id, 4, warehouse_id=wh["id"])
    cart = fill_cart(api, product)
    item = {"productId": product.id, "variantId": variant.id, "quantity": 2}
    status, body, _ = api.post(f"{INV}/reserve", {"cartId": cart, "items": [item]})
    assert status == 201 and body["data"]["reservations"][0]["warehouseId"] == wh["id"], body
    assert units(variant.id, wh["id"]) == (4, 2)
    assert_error(*api.post(f"{INV}/reserve", {"cartId": cart, "items": [item], "warehouseId": "wh_default"})[:2],
                 409, reason="out_of_stock")
    assert_error(*api.post(f"{INV}/reserve", {"cartId": cart, "items": [item], "warehouseId": "wh_nope"})[:2],
                 404, reason="warehouse_not_found")
    assert units(variant.id, wh["id"]) == (4, 2)


# --------------------------------------------------------------------------- checkout allocation

def test_checkout_ships_from_the_warehouse_serving_the_address_and_cancel_gives_back_there(
        api, admin_token, staff_token):
    wh = create(api, admin_token)
    us = create(api, admin_token, code="us", name="US", regions=["US"], priority=1, shippingEstimates={})
    product = make_product(stock=0)
    variant = first_variant(product)
    catalog.restock(variant.id, 5, warehouse_id=us["id"])  # cannot ship to Jordan
    catalog.restock(variant.id, 3, warehouse_id=wh["id"])
    cart = fill_cart(api, product, quantity=2)
    StockReservation.delete().execute()
    assert api.post(f"{INV}/reserve", {"cartId": cart, "items": [
        {"productId": product.id, "variantId": variant.id, "quantity": 2}], "warehouseId": us["id"]})[0] == 201
    order_id = checkout(api, cart)
    order = api.get(f"/api/v1/orders/{order_id}", token=staff_token)[1]["data"]
    assert [(s["warehouseCode"], s["items"]) for s in order["shipments"]] == [
        ("amman", [{"variantId": variant.id, "quantity": 2}])]
    placed = dt.date.fromisoformat(order["createdAt"][:10])
    assert order["estimatedDelivery"] == add_business_days(placed, 2).isoformat()  # Amman's 2 days, not standard's
    assert units(variant.id, wh["id"]) == (1, 0)
    assert units(variant.id, us["id"]) == (5, 0)  # the unused hold in "us" was released
    assert StockReservation.get().status == "released"
    status, body, _ = api.put(f"/api/v1/orders/{order_id}/status", {"status": "cancelled"}, token=staff_token)
    assert status == 200, body
    assert units(variant.id, wh["id"]) == (3, 0) and units(variant.id, us["id"]) == (5, 0)
    assert_ledger_adds_up()


def test_an_order_split_over_two_warehouses_has_two_shipments(api, admin_token, staff_token):
    wh = create(api, admin_token)
    first, second = make_product(name="Brie", stock=4), make_product(name="Gouda", stock=0)
    catalog.restock(first_variant(second).id, 4, warehouse_id=wh["id"])
    cart = fill_cart(api, first)
    assert api.post(f"/api/v1/cart/{cart}/items", {"productId": second.id, "variantId": first_variant(second).id,
                                                   "quantity": 1})[0] == 200
    order = api.get(f"/api/v1/orders/{checkout(api, cart)}", token=staff_token)[1]["data"]
    assert sorted(s["warehouseCode"] for s in order["shipments"]) == ["amman", "default"]
    assert units(first_variant(first).id, "wh_default") == (3, 0)
    assert units(first_variant(second).id, wh["id"]) == (3, 0)


def test_checkout_to_an_address_no_warehouse_serves_is_422(api, admin_token):
    api.put(f"{WH}/wh_default", {"active": False}, token=admin_token)
    wh = create(api, admin_token)
    product = make_product(stock=0)
    catalog.restock(first_variant(product).id, 3, warehouse_id=wh["id"])
    cart = fill_cart(api, product)
    body = checkout_body(cart, shippingAddress={**checkout_body(cart)["shippingAddress"], "country": "US"})
    assert_error(*api.post("/api/v1/orders", body)[:2], 422, reason="address_not_serviceable")
    assert units(first_variant(product).id, wh["id"]) == (3, 0)


def test_concurrent_checkouts_across_two_warehouses_sell_exactly_the_units(app, api, admin_token):
    from concurrent.futures import ThreadPoolExecutor

    from models.orders import Order
    from tests.factories import ApiClient

    wh = create(api, admin_token)
    product = make_product(stock=1)
    variant = first_variant(product)
    catalog.restock(variant.id, 2, warehouse_id=wh["id"])  # 3 units in two warehouses
    carts = [fill_cart(api, product) for _ in range(6)]

    def attempt(cart_id):
        client = ApiClient(app.test_client())
        status, body, _ = client.post("/api/v1/orders", checkout_body(cart_id))
        return client.wait_job(body["data"]["id"])["state"] if status == 202 else status

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(attempt, carts))
    assert outcomes.count("succeeded") == 3, outcomes
    assert Order.select().count() == 3
    assert units(variant.id, "wh_default") == (0, 0) and units(variant.id, wh["id"]) == (0, 0)
    assert_ledger_adds_up()


def test_staff_set_a_products_stock_in_a_warehouse_and_the_movement_names_them(api, admin_token):
    from models.inventory import StockMovement

    wh = create(api, admin_token)
    product = make_product(stock=2)
    variant = first_variant(product)
    staff = quick_user(role="staff")
    status, body, _ = api.put(f"/api/v1/products/{product.id}/stock",
                              {"variantId": variant.id, "inventoryCount": 6, "warehouseId": wh["id"]},
                              token=token_for(staff))
    assert status == 200, body
    assert body["data"]["variants"][0]["inventoryCount"] == 8  # 2 in the default warehouse + 6
    assert units(variant.id, wh["id"]) == (6, 0)
    movement = StockMovement.get(StockMovement.warehouse == wh["id"])
    assert (movement.kind, movement.quantity, movement.actor_id) == ("adjustment", 6, staff.id)
    assert_error(*api.put(f"/api/v1/products/{product.id}/stock", {"variantId": variant.id, "adjustment": 1,
                                                                   "warehouseId": "wh_nope"},
                          token=token_for(staff))[:2], 404, reason="warehouse_not_found")
