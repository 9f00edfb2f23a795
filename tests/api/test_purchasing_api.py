"""Purchasing (issue 9): suppliers, purchase orders draft -> sent -> received (receiving
restocks the warehouse with ledger movements), auto-reorder rules whose crossing drafts a
purchase order by a job and notifies staff, and the routes refused to customers."""

import threading

import pytest

from models.catalog import InventoryLevel
from models.inventory import StockMovement
from models.jobs import Job
from models.purchasing import PurchaseOrder
from services import catalog
from tests.factories import assert_error, make_product, make_user, token_for
from tests.factories.jobs import fanout_job, notifications_of, wait_until

SUPPLIERS = "/api/v1/suppliers"
ORDERS = "/api/v1/purchase-orders"
RULES = "/api/v1/inventory/reorder-rules"


@pytest.fixture()
def staff(db):
    return token_for(make_user(role="staff"))


@pytest.fixture()
def supplier(api, staff):
    status, body, _ = api.post(SUPPLIERS, {"name": "Dairy Co", "email": "orders@dairy.example",
                                           "leadTimeDays": 3}, token=staff)
    assert status == 201, body
    return body["data"]


def on_hand(variant_id):
    return InventoryLevel.get(InventoryLevel.variant == variant_id,
                              InventoryLevel.warehouse == catalog.default_warehouse_id()).quantity


def test_suppliers_crud(api, staff, supplier):
    assert supplier["leadTimeDays"] == 3 and supplier["isActive"] is True
    assert [s["name"] for s in api.get(SUPPLIERS, token=staff)[1]["data"]] == ["Dairy Co"]
    status, body, _ = api.put(f"{SUPPLIERS}/{supplier['id']}", {"isActive": False}, token=staff)
    assert status == 200 and body["data"]["isActive"] is False
    assert api.delete(f"{SUPPLIERS}/{supplier['id']}", token=staff)[0] == 200
    assert_error(*api.get(f"{SUPPLIERS}/{supplier['id']}", token=staff)[:2], 404, reason="supplier_not_found")


def test_bad_supplier_input_is_422(api, staff):
    assert_error(*api.post(SUPPLIERS, {"name": ""}, token=staff)[:2], 422)
    assert_error(*api.post(SUPPLIERS, {"name": "X", "email": "nope"}, token=staff)[:2], 422)
    assert_error(*api.post(SUPPLIERS, {"name": "X", "leadTimeDays": "3"}, token=staff)[:2], 422)


def test_a_purchase_order_goes_draft_sent_received_and_restocks(api, staff, supplier):
    product = make_product(name="Comte", stock=2)
    variant = product.variants[0].id
    status, body, _ = api.post(ORDERS, {"supplierId": supplier["id"], "notes": "weekly",
                                        "lines": [{"variantId": variant, "quantity": 12, "unitCost": 450}]},
                               token=staff)
    assert status == 201, body
    po = body["data"]
    assert po["status"] == "draft" and po["number"].startswith("PO-") and po["totalCost"] == 12 * 450
    assert po["lines"][0]["productName"] == "Comte" and po["expectedAt"]
    assert po["warehouseId"] == catalog.default_warehouse_id()
    assert_error(*api.post(f"{ORDERS}/{po['id']}/receive", token=staff)[:2], 409, reason="purchase_order_status")
    status, body, _ = api.put(f"{ORDERS}/{po['id']}", {"lines": [{"variantId": variant, "quantity": 10}]},
                              token=staff)
    assert status == 200 and body["data"]["lines"][0]["quantity"] == 10 and body["data"]["totalCost"] == 0
    assert api.post(f"{ORDERS}/{po['id']}/send", token=staff)[1]["data"]["status"] == "sent"
    assert_error(*api.put(f"{ORDERS}/{po['id']}", {"notes": "late"}, token=staff)[:2], 409,
                 reason="purchase_order_status")
    status, body, _ = api.post(f"{ORDERS}/{po['id']}/receive", token=staff)
    assert status == 200 and body["data"]["status"] == "received" and body["data"]["receivedAt"]
    assert on_hand(variant) == 12
    movement = StockMovement.get(StockMovement.reference == po["id"])
    assert (movement.kind, movement.quantity, movement.quantity_after) == ("restock", 10, 12)
    assert_error(*api.post(f"{ORDERS}/{po['id']}/receive", token=staff)[:2], 409)  # once only
    assert_error(*api.post(f"{ORDERS}/{po['id']}/cancel", token=staff)[:2], 409)
    assert on_hand(variant) == 12
    listed = api.get(f"{ORDERS}?status=received", token=staff)[1]
    assert [o["id"] for o in listed["data"]] == [po["id"]] and listed["pagination"]["total"] == 1
    assert api.get(f"{ORDERS}?status=draft", token=staff)[1]["data"] == []


def test_two_concurrent_receipts_restock_once(api, staff, supplier, app):
    product = make_product(name="Brie", stock=0)
    variant = product.variants[0].id
    po = catalog.create_purchase_order({"supplier_id": supplier["id"],
                                        "lines": [{"variant_id": variant, "quantity": 5}]})
    catalog.send_purchase_order(po.id)
    results = []

    def receive():
        with app.test_client() as client:
            results.append(client.post(f"{ORDERS}/{po.id}/receive",
                                       headers={"Authorization": f"Bearer {staff}"}).status_code)

    threads = [threading.Thread(target=receive) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results).count(200) == 1 and set(results) <= {200, 409}, results
    assert on_hand(variant) == 5


def test_purchase_order_input_is_validated(api, staff, supplier):
    product = make_product(name="Gouda")
    variant = product.variants[0].id
    cases = [
        ({"supplierId": supplier["id"], "lines": []}, None),
        ({"supplierId": supplier["id"], "lines": [{"variantId": variant, "quantity": 0}]}, None),
        ({"supplierId": "sup_missing", "lines": [{"variantId": variant, "quantity": 1}]}, "unknown_supplier"),
        ({"supplierId": supplier["id"], "lines": [{"variantId": "var_missing", "quantity": 1}]}, "unknown_variant"),
        ({"supplierId": supplier["id"], "lines": [{"variantId": variant, "quantity": 1},
                                                  {"variantId": variant, "quantity": 2}]}, "invalid_purchase_order"),
        ({"supplierId": supplier["id"], "warehouseId": "wh_nowhere",
          "lines": [{"variantId": variant, "quantity": 1}]}, "unknown_warehouse"),
    ]
    for body, reason in cases:
        assert_error(*api.post(ORDERS, body, token=staff)[:2], 422, reason=reason)
    assert PurchaseOrder.select().count() == 0


def test_customers_and_guests_cannot_use_purchasing(api, supplier):
    customer = token_for(make_user())
    for method, path in (("get", SUPPLIERS), ("get", ORDERS), ("get", RULES), ("post", ORDERS)):
        assert getattr(api, method)(path)[0] == 401
        assert getattr(api, method)(path, token=customer)[0] == 403


def test_crossing_a_reorder_point_drafts_one_purchase_order_and_tells_staff(api, staff, supplier):
    admin = make_user(role="admin")
    product = make_product(name="Roquefort", stock=20)
    variant = product.variants[0].id
    status, body, _ = api.put(RULES, {"variantId": variant, "reorderPoint": 5, "reorderQuantity": 30,
                                      "supplierIds": [supplier["id"]], "unitCost": 700}, token=staff)
    assert status == 200, body
    rule = body["data"]
    assert api.get(f"{RULES}?variantId={variant}", token=staff)[1]["data"] == [rule]

    assert api.put(f"/api/v1/products/{product.id}/stock", {"inventoryCount": 8}, token=staff)[0] == 200
    assert not Job.select().where(Job.type == "purchase_reorder").exists()  # 8 > 5: no crossing
    assert api.put(f"/api/v1/products/{product.id}/stock", {"inventoryCount": 4}, token=staff)[0] == 200
    job = wait_until(lambda: Job.select().where(Job.type == "purchase_reorder", Job.state == "succeeded").first(),
                     what="reorder job")
    po = PurchaseOrder.get_by_id(job.result["purchaseOrderId"])
    assert (po.status, po.auto, po.supplier_id) == ("draft", True, supplier["id"])
    line = api.get(f"{ORDERS}/{po.id}", token=staff)[1]["data"]["lines"][0]
    assert (line["variantId"], line["quantity"], line["unitCost"]) == (variant, 30, 700)
    fanout = fanout_job("purchase_order.created", po.id)
    wait_until(lambda: Job.get_by_id(fanout.id).state == "succeeded", what="fan-out")
    notified = {n.user_id for n in notifications_of(fanout)}
    assert admin.id in notified

    # another dip before the stock arrives orders nothing more
    api.put(f"/api/v1/products/{product.id}/stock", {"inventoryCount": 9}, token=staff)
    api.put(f"/api/v1/products/{product.id}/stock", {"inventoryCount": 3}, token=staff)
    wait_until(lambda: Job.select().where(Job.type == "purchase_reorder", Job.state == "succeeded").count() == 2,
               what="second reorder job")
    assert PurchaseOrder.select().count() == 1
    assert api.delete(f"{RULES}/{rule['id']}", token=staff)[0] == 200
    assert_error(*api.delete(f"{RULES}/{rule['id']}", token=staff)[:2], 404, reason="reorder_rule_not_found")


def test_reorder_rules_are_validated(api, staff, supplier):
    product = make_product(name="Feta")
    variant = product.variants[0].id
    base = {"variantId": variant, "reorderPoint": 2, "reorderQuantity": 10, "supplierIds": [supplier["id"]]}
    assert_error(*api.put(RULES, {**base, "supplierIds": []}, token=staff)[:2], 422)
    assert_error(*api.put(RULES, {**base, "supplierIds": ["sup_ghost"]}, token=staff)[:2], 422,
                 reason="unknown_supplier")
    assert_error(*api.put(RULES, {**base, "reorderQuantity": 0}, token=staff)[:2], 422)
    assert_error(*api.put(RULES, {**base, "variantId": "var_ghost"}, token=staff)[:2], 422, reason="unknown_variant")
    first = api.put(RULES, base, token=staff)[1]["data"]
    second = api.put(RULES, {**base, "reorderPoint": 4}, token=staff)[1]["data"]
    assert first["id"] == second["id"] and second["reorderPoint"] == 4  # one rule per variant and warehouse
