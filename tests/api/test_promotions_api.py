"""Promotion codes (issue 10): staff `/promos`, seed 004 `POST /checkout/discount` and its answers,
seed 001 apply/remove/validate/user-eligible, usage counted at checkout and given back on
cancellation, and the last use raced for by concurrent checkouts."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest

from models.carts import Cart, DiscountCode
from models.catalog import Category, InventoryLevel
from models.orders import DiscountUse, Order
from tests.factories import (ApiClient, assert_error, checkout_body, fill_cart, first_variant, make_product,
                             quick_user, token_for)


@pytest.fixture
def staff(db):
    return token_for(quick_user(role="staff"))


def promo(api, staff, **fields):
    body = {"code": "save20", "type": "percentage", "value": 20, **fields}
    status, answer, _ = api.post("/api/v1/promos", body, token=staff)
    assert status == 201, answer
    return answer["data"]


def apply(api, cart_id, code, token=None):
    return api.post("/api/v1/checkout/discount", {"cartId": cart_id, "discountCode": code}, token=token)[:2]


def test_seed_004_discount_answer_shape(api, staff):
    promo(api, staff)
    cart_id = fill_cart(api, make_product(price=5900, stock=5))
    status, body = apply(api, cart_id, "save20")
    assert status == 200 and body["message"] == "Discount applied successfully", body
    data = body["data"]
    assert (data["code"], data["type"], data["value"], data["discountAmount"]) == ("SAVE20", "percentage", 20, 1180)
    cart = data["cart"]
    # 5900 - 1180 = 4720 goods; tax 8 % of 4720 = 377.6 -> 378; standard shipping 500
    assert (cart["subtotal"], cart["discount"], cart["discountCode"]) == (5900, 1180, "SAVE20")
    assert cart["total"] == 4720 + 378 + 500
    assert api.get(f"/api/v1/cart/{cart_id}")[1]["data"]["discount"] == 1180


def test_seed_004_error_answers(api, staff):
    now = dt.datetime.now(dt.timezone.utc)
    promo(api, staff, code="BIGSPEND", minOrderAmount=10_000)
    promo(api, staff, code="OLD", validFrom=(now - dt.timedelta(days=9)).isoformat(),
          validUntil=(now - dt.timedelta(days=1)).isoformat())
    promo(api, staff, code="LATER", validFrom=(now + dt.timedelta(days=1)).isoformat())
    used = promo(api, staff, code="GONE", usageLimit=1)
    DiscountCode.update(usage_count=1).where(DiscountCode.id == used["id"]).execute()
    promo(api, staff, code="OFF", isActive=False)
    cart_id = fill_cart(api, make_product(price=5900, stock=5))

    assert_error(*apply(api, cart_id, "NOPE"), 400, "discount_invalid")
    assert_error(*apply(api, cart_id, "LATER"), 400, "discount_invalid")
    assert_error(*apply(api, cart_id, "OFF"), 400, "discount_invalid")
    assert_error(*apply(api, cart_id, "BIGSPEND"), 422, "discount_minimum_not_met")
    assert_error(*apply(api, cart_id, "OLD"), 410, "discount_expired")
    assert_error(*apply(api, cart_id, "GONE"), 410, "discount_used_up")
    assert Cart.get_by_id(cart_id).discount_code is None  # nothing written by a refusal
    promo(api, staff, code="FIVE", type="fixed_amount", value=500)
    assert apply(api, cart_id, "five")[0] == 200
    assert_error(*apply(api, cart_id, "FIVE"), 409, "discount_already_applied")
    assert_error(*apply(api, cart_id, "save20x"), 409, "discount_already_applied")  # one code per cart
    assert_error(*api.post("/api/v1/checkout/discount", {"cartId": cart_id})[:2], 422)
    empty = api.post("/api/v1/cart", {})[1]["data"]["id"]
    assert_error(*apply(api, empty, "FIVE"), 422, "discount_not_applicable")


def test_staff_manage_promos_and_customers_cannot(api, staff, token):
    data = promo(api, staff, code="spring", type="fixed", value=700, usageLimit=50, perCustomerLimit=1,
                 description="Spring sale")
    assert (data["code"], data["type"], data["usageLimit"], data["usedCount"]) == ("SPRING", "fixed_amount", 50, 0)
    assert data["createdBy"] and data["isActive"] is True
    assert_error(*api.post("/api/v1/promos", {"code": "Spring", "type": "percentage", "value": 5}, token=staff)[:2],
                 409, "promo_code_taken")
    for bad in ({"type": "percentage", "value": 150}, {"type": "free_shipping", "value": 5},
                {"type": "fixed_amount", "value": 0}):
        assert_error(*api.post("/api/v1/promos", {"code": "X1", **bad}, token=staff)[:2], 422, "invalid_promo_value")
    window = {"validFrom": "2030-01-02T00:00:00Z", "validUntil": "2030-01-01T00:00:00Z"}
    assert_error(*api.post("/api/v1/promos", {"code": "X2", "type": "shipping", "value": 0, **window},
                           token=staff)[:2], 422, "invalid_promo_window")
    assert_error(*api.post("/api/v1/promos", {"code": "X3", "type": "percentage", "value": 5,
                                              "applicableCategories": ["cat_nope"]}, token=staff)[:2],
                 422, "unknown_category_id")
    assert_error(*api.post("/api/v1/promos", {"code": "X4", "type": "percentage", "value": 5,
                                              "applicableProducts": ["prod_nope"]}, token=staff)[:2],
                 422, "unknown_product_id")
    assert_error(*api.post("/api/v1/promos", {"code": "bad code!", "type": "percentage", "value": 5},
                           token=staff)[:2], 422)

    status, body, _ = api.get("/api/v1/promos?q=spr", token=staff)
    assert status == 200 and [p["code"] for p in body["data"]] == ["SPRING"] and body["pagination"]["total"] == 1
    status, body, _ = api.put(f"/api/v1/promos/{data['id']}", {"isActive": False, "value": 900}, token=staff)
    assert status == 200 and body["data"]["isActive"] is False and body["data"]["value"] == 900, body
    assert api.get(f"/api/v1/promos/{data['id']}", token=staff)[1]["data"]["value"] == 900

    assert_error(*api.get("/api/v1/promos", token=token)[:2], 403)
    assert_error(*api.post("/api/v1/promos", {"code": "MINE", "type": "percentage", "value": 90}, token=token)[:2],
                 403)
    assert_error(*api.get("/api/v1/promos")[:2], 401)
    assert_error(*api.delete(f"/api/v1/promos/{data['id']}", token=token)[:2], 403)
    assert api.delete(f"/api/v1/promos/{data['id']}", token=staff)[0] == 200
    assert_error(*api.get(f"/api/v1/promos/{data['id']}", token=staff)[:2], 404, "promo_not_found")


def test_apply_and_remove_promo_on_my_cart_and_validate(api, staff, token, user):
    promo(api, staff, code="TEN", type="percentage", value=10)
    cart_id = api.get("/api/v1/cart", token=token)[1]["data"]["id"]
    product = make_product(price=3000, stock=5)
    api.post(f"/api/v1/cart/{cart_id}/items", {"productId": product.id, "quantity": 2}, token=token)

    status, body, _ = api.get("/api/v1/promos/validate/ten", token=token)
    assert status == 200 and body["data"]["valid"] is True and "discountAmount" not in body["data"], body
    status, body, _ = api.get(f"/api/v1/promos/validate/TEN?cartId={cart_id}", token=token)
    assert status == 200 and body["data"]["discountAmount"] == 600, body
    assert_error(*api.get("/api/v1/promos/validate/NOTHING", token=token)[:2], 404, "promo_code_not_found")

    status, body, _ = api.post("/api/v1/cart/apply-promo", {"code": "TEN"}, token=token)  # no cartId: my cart
    assert status == 200 and body["data"]["cart"]["id"] == cart_id and body["data"]["discountAmount"] == 600, body
    status, body, _ = api.delete("/api/v1/cart/remove-promo", token=token)
    assert status == 200 and body["data"]["discountCode"] is None and body["data"]["discount"] == 0, body
    assert api.delete("/api/v1/cart/remove-promo", token=token)[0] == 200  # nothing on it: unchanged

    guest_cart = fill_cart(api, product)
    assert_error(*api.post("/api/v1/cart/apply-promo", {"code": "TEN"})[:2], 404, "cart_not_found")  # names it
    assert_error(*api.delete("/api/v1/cart/remove-promo")[:2], 404, "cart_not_found")
    assert api.post("/api/v1/cart/apply-promo", {"code": "TEN", "cartId": guest_cart})[0] == 200
    assert_error(*api.post("/api/v1/cart/apply-promo", {"code": "TEN", "cartId": cart_id})[:2], 404)  # not theirs


def test_user_eligible_lists_public_and_own_codes_with_uses_left(api, staff, token, user):
    other = quick_user()
    promo(api, staff, code="PUBLIC", perCustomerLimit=2)
    promo(api, staff, code="MINE", customerId=user.id, type="fixed_amount", value=300)
    promo(api, staff, code="THEIRS", customerId=other.id, type="fixed_amount", value=300)
    promo(api, staff, code="ASLEEP", isActive=False)
    status, body, _ = api.get("/api/v1/promos/user-eligible", token=token)
    assert status == 200, body
    assert {c["code"]: c["usesLeft"] for c in body["data"]} == {"PUBLIC": 2, "MINE": None}
    assert_error(*api.get("/api/v1/promos/user-eligible")[:2], 401)
    cart_id = fill_cart(api, make_product(price=1000, stock=5), token=token_for(other))
    assert_error(*apply(api, cart_id, "MINE", token=token_for(other)), 400, "discount_invalid")


def test_category_scope_cap_and_free_shipping(api, staff):
    category = Category.create(name="Cheese", slug="cheese")
    child = Category.create(name="Blue", slug="blue", parent=category)
    blue = make_product(name="Roquefort", price=4000, stock=5)
    blue.category = child
    blue.save()
    bread = make_product(name="Bread", price=1000, stock=5)
    promo(api, staff, code="CHEESE50", value=50, maxDiscount=1500, applicableCategories=[category.id])
    promo(api, staff, code="SHIPFREE", type="free_shipping", value=0)
    promo(api, staff, code="ONLYBREAD", applicableProducts=[bread.id])

    blue_cart = fill_cart(api, blue)
    status, body = apply(api, blue_cart, "CHEESE50")
    assert status == 200 and body["data"]["discountAmount"] == 1500, body  # 50 % of 4000, capped at 1500
    bread_cart = fill_cart(api, bread)
    assert_error(*apply(api, bread_cart, "CHEESE50"), 422, "discount_not_applicable")
    status, body = apply(api, bread_cart, "ONLYBREAD")
    assert status == 200 and body["data"]["discountAmount"] == 200, body

    ship_cart = fill_cart(api, bread)
    status, body = apply(api, ship_cart, "SHIPFREE")
    cart = body["data"]["cart"]
    assert status == 200 and cart["shipping"] == 0 and cart["shippingDiscount"] == 500 and cart["discount"] == 0
    status, body, _ = api.post("/api/v1/orders", checkout_body(ship_cart, shippingMethod="express"),
                               headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["state"] == "succeeded", body
    order = Order.get_by_id(body["data"]["result"]["orderId"])
    assert (order.shipping, order.discount, order.discount_code) == (0, 0, "SHIPFREE")
    assert DiscountUse.get(DiscountUse.order == order.id).amount == 1000  # express waived


def test_checkout_counts_a_use_and_cancelling_gives_it_back(api, staff, token, user):
    data = promo(api, staff, code="ONCE", perCustomerLimit=1)
    product = make_product(price=5000, stock=5)
    cart_id = fill_cart(api, product, token=token)
    assert apply(api, cart_id, "ONCE", token=token)[0] == 200
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id), token=token, headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["state"] == "succeeded", body
    order_id = body["data"]["result"]["orderId"]
    order = Order.get_by_id(order_id)
    assert (order.discount, order.discount_code) == (1000, "ONCE")
    assert api.get(f"/api/v1/promos/{data['id']}", token=staff)[1]["data"]["usedCount"] == 1

    again = fill_cart(api, product, token=token)
    assert_error(*apply(api, again, "ONCE", token=token), 410, "discount_used_up")
    guest = fill_cart(api, product)
    assert_error(*apply(api, guest, "ONCE"), 400, "discount_requires_account")

    assert api.put(f"/api/v1/orders/{order_id}/status", {"status": "cancelled"}, token=staff)[0] == 200
    assert api.get(f"/api/v1/promos/{data['id']}", token=staff)[1]["data"]["usedCount"] == 0
    assert not DiscountUse.select().where(DiscountUse.order == order_id).exists()
    assert apply(api, again, "ONCE", token=token)[0] == 200  # usable again


def test_a_used_promo_cannot_be_deleted(api, staff):
    data = promo(api, staff, code="KEEP")
    cart_id = fill_cart(api, make_product(price=5000, stock=5))
    apply(api, cart_id, "KEEP")
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id), headers={"Prefer": "wait=10"})
    assert status == 200 and body["data"]["state"] == "succeeded", body
    assert_error(*api.delete(f"/api/v1/promos/{data['id']}", token=staff)[:2], 409, "promo_in_use")


def test_an_expired_code_on_the_cart_stops_checkout(api, staff):
    data = promo(api, staff, code="BRIEF")
    cart_id = fill_cart(api, make_product(price=5000, stock=5))
    apply(api, cart_id, "BRIEF")
    DiscountCode.update(ends_at=dt.datetime.utcnow() - dt.timedelta(minutes=1)).where(
        DiscountCode.id == data["id"]).execute()
    assert_error(*api.post("/api/v1/orders", checkout_body(cart_id))[:2], 410, "discount_expired")
    assert Order.select().count() == 0


def test_customers_racing_for_the_last_use_get_exactly_one(app, api, staff):
    data = promo(api, staff, code="LASTONE", usageLimit=3)
    DiscountCode.update(usage_count=2).where(DiscountCode.id == data["id"]).execute()
    product = make_product(price=5000, stock=50)
    customers = [token_for(quick_user()) for _ in range(8)]
    carts = []
    for token in customers:
        cart_id = fill_cart(api, product, token=token)
        assert apply(api, cart_id, "LASTONE", token=token)[0] == 200
        carts.append((cart_id, token))

    def checkout(args):
        cart_id, token = args
        client = ApiClient(app.test_client())
        status, body, _ = client.post("/api/v1/orders", checkout_body(cart_id), token=token)
        if status != 202:
            return status, body["error"]["reason"]
        job = client.wait_job(body["data"]["id"], token=token, timeout=60)
        return job["state"], (job.get("error") or {}).get("reason")

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(checkout, carts))
    assert [o for o in outcomes if o[0] == "succeeded"] == [("succeeded", None)], outcomes
    assert all(reason in ("discount_exhausted", "discount_used_up") for state, reason in outcomes
               if state != "succeeded"), outcomes
    code = DiscountCode.get_by_id(data["id"])
    assert code.usage_count == 3 and DiscountUse.select().where(DiscountUse.discount == code.id).count() == 1
    assert Order.select().where(Order.discount_code == "LASTONE").count() == 1
    assert Cart.select().where(Cart.status == "active", Cart.discount_code == "LASTONE").count() == 7
    assert InventoryLevel.get(InventoryLevel.variant == first_variant(product).id).quantity == 49
