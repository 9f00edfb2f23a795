"""Inventory routes (issue 9): a variant's stock (public vs staff), cart reservations (incl. two
carts racing for the last unit), checkout consuming a reservation, the expiry task, back-in-stock
requests notified on restock, the low-stock list, an admin edit alerting, and the report job."""

from __future__ import annotations

import csv
import datetime as dt
import io
from concurrent.futures import ThreadPoolExecutor

import pytest

from models.catalog import InventoryLevel
from models.db import atomic, utcnow
from models.inventory import StockReservation
from models.jobs import Job
from services.platform import jobs
from tests.factories import (ApiClient, assert_error, checkout_body, fanout_job, fill_cart, first_variant, make_product,
                             notifications_of, quick_user, token_for, wait_until)
from workers.dispatch import dispatch

INV = "/api/v1/inventory"


@pytest.fixture()
def staff_token(db):
    return token_for(quick_user(role="staff"))


def new_cart(api, token=None):
    status, body, _ = api.post("/api/v1/cart", {"currency": "USD"}, token=token)
    assert status == 201, body
    return body["data"]["id"]


def reserve(api, cart_id, product, quantity=1, token=None, **extra):
    body = {"cartId": cart_id, "items": [{"productId": product.id, "variantId": first_variant(product).id,
                                          "quantity": quantity}], **extra}
    return api.post(f"{INV}/reserve", body, token=token)


def level(product):
    row = InventoryLevel.get(InventoryLevel.variant == first_variant(product).id)
    return row.quantity, row.reserved


# --------------------------------------------------------------------------- a variant's stock

def test_shoppers_see_available_and_low_stock_staff_also_on_hand_and_reserved(api, staff_token):
    product = make_product(stock=8)
    variant = first_variant(product)
    assert reserve(api, new_cart(api), product, 2)[0] == 201
    status, body, _ = api.get(f"{INV}/{product.id}/variants/{variant.id}")
    assert status == 200, body
    assert body["data"] == {"productId": product.id, "variantId": variant.id, "sku": variant.sku, "available": 6,
                            "inStock": True, "lowStock": True}
    staff = api.get(f"{INV}/{product.id}/variants/{variant.id}", token=staff_token)[1]["data"]
    assert (staff["onHand"], staff["reserved"], staff["available"], staff["threshold"]) == (8, 2, 6, 10)
    assert staff["warehouses"][0]["warehouseId"] == "wh_default"
    assert api.get(f"/api/v1/products/{product.id}")[1]["data"]["variants"][0]["inventoryCount"] == 6


def test_a_variant_of_another_product_or_a_draft_is_not_found(api, staff_token):
    product, other = make_product(), make_product(status="draft")
    assert_error(*api.get(f"{INV}/{product.id}/variants/{first_variant(other).id}")[:2], 404,
                 reason="variant_not_found")
    assert api.get(f"{INV}/{other.id}/variants/{first_variant(other).id}")[0] == 404
    assert api.get(f"{INV}/{other.id}/variants/{first_variant(other).id}", token=staff_token)[0] == 200


# --------------------------------------------------------------------------- reservations

def test_a_guest_reserves_stock_for_their_cart_and_releases_it(api):
    product = make_product(stock=3)
    cart = new_cart(api)
    status, body, _ = reserve(api, cart, product, 2, reservationMinutes=5)
    assert status == 201, body
    data = body["data"]
    assert data["cartId"] == cart and len(data["reservations"]) == 1
    held = data["reservations"][0]
    assert (held["quantity"], held["status"], held["productId"]) == (2, "active", product.id)
    assert data["expiresAt"] == held["expiresAt"]
    assert level(product) == (3, 2)
    status, body, _ = api.delete(f"{INV}/reserve/{cart}")
    assert status == 200 and body["data"] == {"cartId": cart, "releasedUnits": 2}, body
    assert level(product) == (3, 0)


@pytest.mark.parametrize("body", [
    {"items": []},
    {"items": [{"productId": "p", "variantId": "v", "quantity": 0}]},
    {"items": [{"productId": "p", "variantId": "v", "quantity": "2"}]},
    {"reservationMinutes": 0},
    {"reservationMinutes": 1441},
    {"cartId": None},
])
def test_bad_reservation_requests_are_422(api, body):
    product = make_product()
    request = {"cartId": new_cart(api), "items": [{"productId": product.id, "variantId": first_variant(product).id,
                                                   "quantity": 1}], **body}
    assert_error(*api.post(f"{INV}/reserve", request)[:2], 422)
    assert StockReservation.select().count() == 0


def test_reserving_a_variant_of_another_product_is_422(api):
    product, other = make_product(), make_product()
    body = {"cartId": new_cart(api), "items": [{"productId": product.id, "variantId": first_variant(other).id,
                                                "quantity": 1}]}
    assert_error(*api.post(f"{INV}/reserve", body)[:2], 422, reason="invalid_variant")


def test_another_customers_cart_is_not_found(api, token):
    product = make_product()
    cart = new_cart(api, token=token)
    stranger = token_for(quick_user())
    assert_error(*reserve(api, cart, product, token=stranger)[:2], 404, reason="cart_not_found")
    assert_error(*reserve(api, cart, product)[:2], 404, reason="cart_not_found")  # a guest neither
    assert_error(*api.delete(f"{INV}/reserve/{cart}", token=stranger)[:2], 404)
    assert reserve(api, cart, product, token=token)[0] == 201


def test_reserving_more_than_available_is_409_and_holds_nothing(api):
    product = make_product(stock=2)
    cart = new_cart(api)
    assert_error(*reserve(api, cart, product, 3)[:2], 409, reason="out_of_stock")
    assert level(product) == (2, 0)


def test_concurrent_carts_cannot_both_reserve_the_last_unit(app, api):
    product = make_product(stock=1)
    carts = [new_cart(api) for _ in range(8)]

    def attempt(cart_id):
        return reserve(ApiClient(app.test_client()), cart_id, product)[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(attempt, carts))
    assert statuses == [201] + [409] * 7, statuses
    assert level(product) == (1, 1)
    assert StockReservation.select().where(StockReservation.status == "active").count() == 1


def test_checkout_consumes_the_carts_reservation_and_other_carts_are_refused(api):
    product = make_product(stock=1)
    holder, other = fill_cart(api, product), fill_cart(api, product)
    assert reserve(api, holder, product)[0] == 201
    assert_error(*api.post("/api/v1/orders", checkout_body(other))[:2], 409, reason="out_of_stock")
    status, body, _ = api.post("/api/v1/orders", checkout_body(holder))
    assert status == 202, body
    assert api.wait_job(body["data"]["id"])["state"] == "succeeded"
    assert level(product) == (0, 0)
    assert StockReservation.get().status == "consumed"


def test_the_expiry_task_releases_expired_reservations(api):
    product = make_product(stock=2)
    cart = new_cart(api)
    assert reserve(api, cart, product, 2)[0] == 201
    StockReservation.update(expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
    with atomic():
        job = jobs.create_job("maintenance", {"task": "expire_stock_reservations"})
    dispatch(job)
    done = api.wait_job(job.id)
    assert done["state"] == "succeeded" and done["result"]["expired"] == 1, done
    assert level(product) == (2, 0)
    assert api.get(f"/api/v1/products/{product.id}")[1]["data"]["variants"][0]["inventoryCount"] == 2


# --------------------------------------------------------------------------- back in stock

def test_restock_notifies_customers_who_asked_once(api, token, user, staff_token):
    product = make_product(stock=0)
    variant = first_variant(product)
    path = f"{INV}/{product.id}/variants/{variant.id}/notify"
    assert api.post(path)[0] == 401
    status, body, _ = api.post(path, token=token)
    assert status == 201 and body["data"]["variantId"] == variant.id, body
    assert api.post(path, token=token)[0] == 200
    assert_error(*api.post(f"{INV}/{product.id}/variants/var_nope/notify", token=token)[:2], 404)
    status, body, _ = api.post(f"{INV}/restock", {"variantId": variant.id, "quantity": 4}, token=staff_token)
    assert status == 201 and body["data"]["onHand"] == 4 and body["data"]["available"] == 4, body
    job = fanout_job("stock.back_in_stock", variant.id)
    wait_until(lambda: Job.get_by_id(job.id).state == "succeeded", what="fan-out")
    assert {n.user_id for n in notifications_of(job)} == {user.id}
    assert api.post(f"{INV}/restock", {"variantId": variant.id, "quantity": 1}, token=staff_token)[0] == 201
    api.put(f"/api/v1/products/{product.id}/stock", {"inventoryCount": 0}, token=staff_token)
    api.put(f"/api/v1/products/{product.id}/stock", {"inventoryCount": 3}, token=staff_token)
    sent = [j for j in Job.select().where(Job.type == "event_fanout")
            if j.payload["event"] == "stock.back_in_stock"]
    assert len(sent) == 1


def test_unsubscribing_is_204(api, token):
    product = make_product(stock=0)
    path = f"{INV}/{product.id}/variants/{first_variant(product).id}/notify"
    assert api.post(path, token=token)[0] == 201
    assert api.delete(path, token=token)[0] == 204
    assert api.delete(path, token=token)[0] == 204


# --------------------------------------------------------------------------- staff: low stock, restock

def test_low_stock_lists_variants_at_or_below_their_threshold(api, staff_token, token):
    low, fine = make_product(name="Low", stock=3), make_product(name="Fine", stock=50)
    status, body, _ = api.get(f"{INV}/low-stock?limit=10", token=staff_token)
    assert status == 200, body
    assert [r["productId"] for r in body["data"]] == [low.id] and body["pagination"]["total"] == 1
    assert body["data"][0] | {} == {**body["data"][0], "onHand": 3, "reserved": 0, "available": 3, "threshold": 10}
    assert_error(*api.get(f"{INV}/low-stock", token=token)[:2], 403)
    assert_error(*api.get(f"{INV}/low-stock")[:2], 401)
    assert_error(*api.get(f"{INV}/low-stock?limit=0", token=staff_token)[:2], 422)
    assert fine


def test_an_admin_stock_edit_from_90_to_5_alerts_staff(api, staff_token):
    product = make_product(stock=90)
    status, body, _ = api.put(f"/api/v1/products/{product.id}/stock", {"inventoryCount": 5}, token=staff_token)
    assert status == 200, body
    job = fanout_job("stock.low", first_variant(product).id)
    assert job.payload["data"]["quantity"] == 5


def test_restock_validates_and_is_staff_only(api, staff_token, token):
    product = make_product(stock=0)
    variant = first_variant(product)
    assert_error(*api.post(f"{INV}/restock", {"variantId": variant.id, "quantity": 0}, token=staff_token)[:2], 422)
    assert_error(*api.post(f"{INV}/restock", {"variantId": variant.id}, token=staff_token)[:2], 422)
    assert_error(*api.post(f"{INV}/restock", {"variantId": "var_nope", "quantity": 1}, token=staff_token)[:2],
                 404, reason="variant_not_found")
    assert_error(*api.post(f"{INV}/restock", {"variantId": variant.id, "quantity": 1}, token=token)[:2], 403)
    assert level(product) == (0, 0)


# --------------------------------------------------------------------------- reports

def test_the_report_job_gives_stock_value_movements_sell_through_and_cover(api, staff_token, token):
    product = make_product(price=1000, stock=10)
    cart = fill_cart(api, product, quantity=2)
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart))
    assert api.wait_job(body["data"]["id"])["state"] == "succeeded"
    assert_error(*api.get(f"{INV}/reports", token=token)[:2], 403)
    assert_error(*api.get(f"{INV}/reports?format=xml", token=staff_token)[:2], 422)
    assert_error(*api.get(f"{INV}/reports?days=0", token=staff_token)[:2], 422)
    status, body, headers = api.get(f"{INV}/reports?format=csv&days=10", token=staff_token)
    assert status == 202 and headers["Location"].startswith("/api/v1/jobs/"), body
    job = api.wait_job(body["data"]["id"], token=staff_token)
    assert job["state"] == "succeeded", job
    report = job["result"]
    assert report["warehouses"][0]["units"] == 8 and report["warehouses"][0]["value"] == 8000
    assert {m["kind"]: m["quantity"] for m in report["movements"]} == {"adjustment": 10, "sale": -2}
    row = next(r for r in report["variants"] if r["productId"] == product.id)
    assert (row["unitsSold"], row["sellThrough"], row["daysOfCover"]) == (2, 0.2, 40.0)
    assert report["downloadUrl"] == f"/api/v1/inventory/reports/{job['id']}/csv"
    response = api.client.get(report["downloadUrl"], headers={"Authorization": f"Bearer {staff_token}"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0]["variantId"] == first_variant(product).id and rows[0]["unitsSold"] == "2"
    status, body, _ = api.get(f"{INV}/reports/{job['id']}", token=staff_token)
    assert status == 200 and body["variants"] == report["variants"]
    assert_error(*api.get(f"{INV}/reports/{job['id']}", token=token)[:2], 403)
    checkout_job = Job.get(Job.type == "checkout").id
    assert_error(*api.get(f"{INV}/reports/{checkout_job}", token=staff_token)[:2], 404, reason="report_not_found")
