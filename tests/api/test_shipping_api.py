"""Shipping zones (staff `/shipping/zones`), quotes and checkout for served and unserved addresses
(seed 004 "Address not serviceable"), free-shipping thresholds, weight brackets, and the delivery
date a customer books (seed 001): `/shipping/delivery-dates`, checkout's `deliveryDate`."""

from __future__ import annotations

import datetime as dt

import pytest

from models.catalog import Variant
from models.jobs import Job
from models.orders import Order
from models.shipping import ShippingZone
from services.orders import delivery_dates
from tests.factories import ADDRESS, assert_error, checkout_body, fill_cart, first_variant, make_product, quick_user, \
    token_for

ZONES = "/api/v1/shipping/zones"
QUOTE = "/api/v1/checkout/shipping"
DATES = "/api/v1/shipping/delivery-dates"
WEDNESDAY_10_UTC = dt.datetime(2026, 12, 2, 10, 0)  # naive UTC, as models.db.utcnow


@pytest.fixture
def staff(db):
    return token_for(quick_user(role="staff"))


@pytest.fixture
def clock(monkeypatch):
    """Set the delivery calendar's clock: `clock(datetime)` (naive UTC)."""
    def set_to(moment: dt.datetime):
        monkeypatch.setattr(delivery_dates, "now", lambda: moment)
    set_to(WEDNESDAY_10_UTC)
    return set_to


def zone_body(**fields):
    return {"name": "Gulf", "countries": ["KW", "QA"],
            "methods": [{"id": "standard", "price": 700, "freeShippingThreshold": 10_000},
                        {"id": "courier", "name": "Courier", "price": 900,
                         "weightRates": [{"upToGrams": 5000, "price": 1200}, {"upToGrams": 1000, "price": 800}]}],
            **fields}


def create_zone(api, token, **fields):
    status, body, _ = api.post(ZONES, zone_body(**fields), token=token)
    assert status == 201, body
    return body["data"]


def quote(api, cart_id, **address):
    status, body, _ = api.post(QUOTE, {"cartId": cart_id, "shippingAddress": {**ADDRESS, **address}})
    return status, body


def methods_of(api, cart_id, **address) -> dict:
    status, body = quote(api, cart_id, **address)
    assert status == 200, body
    return {m["id"]: m for m in body["data"]["methods"]}


# --------------------------------------------------------------------------- zones CRUD

def test_staff_create_read_change_and_delete_a_zone(api, staff):
    zone = create_zone(api, staff)
    assert zone["id"].startswith("shz_") and zone["countries"] == ["KW", "QA"] and zone["cities"] == []
    courier = zone["methods"][1]
    assert courier["weightRates"] == [{"upToGrams": 1000, "price": 800}, {"upToGrams": 5000, "price": 1200}]
    assert zone["methods"][0]["freeShippingThreshold"] == 10_000

    status, body, _ = api.get(f"{ZONES}/{zone['id']}", token=staff)
    assert status == 200 and body["data"] == zone
    status, body, _ = api.put(f"{ZONES}/{zone['id']}", {"cities": ["Doha"], "countries": ["qa"]}, token=staff)
    assert status == 422, body  # countries are upper-case ISO codes (the schema says so)
    status, body, _ = api.put(f"{ZONES}/{zone['id']}", {"cities": ["Doha", "doha"]}, token=staff)
    assert status == 200 and body["data"]["cities"] == ["Doha"] and body["data"]["methods"] == zone["methods"]

    listed = api.get(ZONES, token=staff)[1]["data"]
    assert [z["name"] for z in listed] == ["Same day in Amman", "Gulf", "Default"]  # city zones first
    status, body, _ = api.delete(f"{ZONES}/{zone['id']}", token=staff)
    assert status == 200, body
    assert_error(*api.get(f"{ZONES}/{zone['id']}", token=staff)[:2], 404, reason="shipping_zone_not_found")


def test_another_staff_member_and_an_admin_manage_the_same_zones(api, staff, admin_token):
    zone = create_zone(api, staff)
    other = token_for(quick_user(role="staff"))
    status, body, _ = api.put(f"{ZONES}/{zone['id']}", {"name": "Gulf states"}, token=other)
    assert status == 200 and body["data"]["name"] == "Gulf states", body
    assert api.get(f"{ZONES}/{zone['id']}", token=admin_token)[1]["data"]["name"] == "Gulf states"


@pytest.mark.parametrize("who", ["anonymous", "customer", "courier"])
def test_guests_customers_and_couriers_cannot_see_or_change_zones(api, staff, who):
    zone = create_zone(api, staff)
    token = None if who == "anonymous" else token_for(quick_user(role=who))
    expected = 401 if token is None else 403
    for method, path, body in [("get", ZONES, None), ("post", ZONES, zone_body(name="Other")),
                               ("get", f"{ZONES}/{zone['id']}", None),
                               ("put", f"{ZONES}/{zone['id']}", {"name": "Mine"}),
                               ("delete", f"{ZONES}/{zone['id']}", None)]:
        status, answer, _ = api.call(method.upper(), path, json=body, token=token)
        assert status == expected, (method, path, answer)
    assert ShippingZone.get_by_id(zone["id"]).name == "Gulf"


@pytest.mark.parametrize("change, status, reason", [
    ({"countries": []}, 422, None), ({"countries": ["Jordan"]}, 422, None), ({"methods": []}, 422, None),
    ({"name": " padded "}, 422, None), ({"methods": [{"id": "Standard", "price": 1}]}, 422, None),
    ({"methods": [{"id": "standard", "price": -1}]}, 422, None),
    ({"methods": [{"id": "standard", "price": "5"}]}, 422, None),
    ({"methods": [{"id": "standard", "price": 1, "weightRates": [{"upToGrams": 0, "price": 1}]}]}, 422, None),
    ({"methods": [{"id": "standard", "price": 1}, {"id": "standard", "price": 2}]}, 422,
     "duplicate_shipping_method"),
    ({"methods": [{"id": "standard", "price": 1, "weightRates": [{"upToGrams": 10, "price": 1},
                                                                 {"upToGrams": 10, "price": 2}]}]}, 422,
     "duplicate_weight_bracket"),
    ({"name": "Default"}, 409, "shipping_zone_name_taken"),
    ({"countries": ["KW", "JO"]}, 409, "shipping_zone_overlap"),  # the default zone serves all of JO
    ({"countries": ["JO"], "cities": ["amman"]}, 409, "shipping_zone_overlap"),  # so does Same day in Amman
])
def test_bad_zones_are_refused_and_nothing_is_written(api, staff, change, status, reason):
    assert len(api.get(ZONES, token=staff)[1]["data"]) == 2  # the default zones, written on first use
    assert_error(*api.post(ZONES, zone_body(**change), token=staff)[:2], status, reason=reason)
    assert ShippingZone.select().count() == 2


def test_the_last_zone_cannot_be_deleted(api, staff):
    zones = api.get(ZONES, token=staff)[1]["data"]
    assert api.delete(f"{ZONES}/{zones[0]['id']}", token=staff)[0] == 200
    assert_error(*api.delete(f"{ZONES}/{zones[1]['id']}", token=staff)[:2], 409, reason="shipping_zone_last")


# --------------------------------------------------------------------------- quotes and checkout

def test_a_served_address_is_quoted_with_its_zones_methods_and_an_unserved_one_is_422(api):
    cart_id = fill_cart(api, make_product(price=2950, stock=5))
    methods = methods_of(api, cart_id)  # Amman, JO: the default zones keep today's methods
    assert [(m, methods[m]["price"], methods[m]["available"]) for m in methods] == [
        ("standard", 500, True), ("express", 1000, True), ("same_day", 1500, True)]
    assert methods["same_day"]["description"] == "Within Amman only" and methods["standard"]["isDefault"]
    status, body = quote(api, cart_id, country="ZZ")
    assert_error(status, body, 422, reason="address_not_serviceable")
    assert body["error"]["message"] == "Address not serviceable"
    assert body["error"]["details"][0]["field"] == "shippingAddress.country"


def test_an_unknown_cart_is_404_before_the_address_is_looked_at(api):
    assert_error(*quote(api, "cart_doesnotexist", country="ZZ"), 404)


def test_checkout_to_an_unserved_address_is_refused_before_anything_is_written(api):
    product = make_product(price=2950, stock=5)
    cart_id = fill_cart(api, product)
    jobs, orders = Job.select().count(), Order.select().count()
    body = checkout_body(cart_id, shippingAddress={**ADDRESS, "country": "ZZ"})
    status, answer, _ = api.post("/api/v1/orders", body, headers={"Idempotency-Key": "zz-1"})
    assert_error(status, answer, 422, reason="address_not_serviceable")
    assert answer["error"]["details"][0]["field"] == "shippingAddress.country"
    assert (Job.select().count(), Order.select().count()) == (jobs, orders)
    assert api.get(f"/api/v1/cart/{cart_id}")[1]["data"]["items"][0]["quantity"] == 1  # the cart is untouched


def test_a_city_zone_inside_a_country_zone_wins_there(api, staff):
    create_zone(api, staff, name="Irbid", countries=["JO"], cities=["Irbid"],
                methods=[{"id": "standard", "price": 300}])
    cart_id = fill_cart(api, make_product(price=2950, stock=5))
    irbid = methods_of(api, cart_id, city="IRBID")
    assert [(m, irbid[m]["price"], irbid[m]["available"]) for m in irbid] == [
        ("standard", 300, True), ("express", 1000, False), ("same_day", 1500, False)]  # the other city zones'
    assert methods_of(api, cart_id, city="Zarqa")["standard"]["price"] == 500  # the country's zone


def test_a_city_zone_serves_only_its_cities(api, staff):
    create_zone(api, staff, name="Dubai only", countries=["AE"], cities=["Dubai"],
                methods=[{"id": "same_day", "price": 2500}])
    api.delete(f"{ZONES}/{next(z['id'] for z in api.get(ZONES, token=staff)[1]['data'] if z['name'] == 'Default')}",
               token=staff)
    ShippingZone.delete().where(ShippingZone.name == "Same day in Amman").execute()
    cart_id = fill_cart(api, make_product(price=2950, stock=5))
    assert list(methods_of(api, cart_id, country="AE", city="dubai")) == ["same_day"]
    status, body = quote(api, cart_id, country="AE", city="Abu Dhabi")
    assert_error(status, body, 422, reason="address_not_serviceable")
    assert body["error"]["details"][0]["field"] == "shippingAddress.city"


def test_a_method_is_free_at_or_above_its_threshold_and_the_order_stores_that_price(api, staff):
    create_zone(api, staff)
    product = make_product(price=5000, stock=5)
    cart_id = fill_cart(api, product, quantity=1)
    gulf = {"country": "QA", "city": "Doha"}
    assert methods_of(api, cart_id, **gulf)["standard"]["price"] == 700  # 5000 < 10000
    cart_id = fill_cart(api, product, quantity=2)
    assert methods_of(api, cart_id, **gulf)["standard"]["price"] == 0  # 10000 >= 10000: free
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id, shippingAddress={**ADDRESS, **gulf}))
    assert status == 202, body
    job = api.wait_job(body["data"]["id"])
    order = api.get(f"/api/v1/orders/{job['result']['orderId']}")[1]["data"]
    assert order["shipping"] == 0 and order["shippingMethod"]["price"] == 0 and order["total"] == 10_000 + 800


@pytest.mark.parametrize("grams, quantity, price, available", [
    (None, 3, 800, True),  # no weight counts 0
    (300, 3, 800, True),  # 900 g <= 1000
    (500, 2, 800, True),  # 1000 g: at most 1000
    (501, 2, 1200, True),
    (2500, 2, 1200, True),  # 5000 g
    (2501, 2, 900, False),  # heavier than every bracket: listed, not available
])
def test_weight_brackets_price_the_cart_by_its_weight(api, staff, grams, quantity, price, available):
    create_zone(api, staff)
    product = make_product(price=1000, stock=10)
    Variant.update(weight_grams=grams).where(Variant.id == first_variant(product).id).execute()
    cart_id = fill_cart(api, product, quantity=quantity)
    courier = methods_of(api, cart_id, country="KW", city="Kuwait City")["courier"]
    assert (courier["price"], courier["available"]) == (price, available)
    body = checkout_body(cart_id, shippingAddress={**ADDRESS, "country": "KW"}, shippingMethod="courier")
    status, answer, _ = api.post("/api/v1/orders", body)
    if available:
        assert status == 202, answer
        order_id = api.wait_job(answer["data"]["id"])["result"]["orderId"]
        assert Order.get_by_id(order_id).shipping == price
    else:
        assert_error(status, answer, 422, reason="shipping_method_unavailable")


def test_a_method_of_another_zone_or_none_is_refused_at_checkout(api, staff):
    create_zone(api, staff)
    cart_id = fill_cart(api, make_product(price=1000, stock=10))
    assert_error(*api.post("/api/v1/orders", checkout_body(cart_id, shippingMethod="courier"))[:2], 422,
                 reason="shipping_method_unavailable")  # courier is the Gulf zone's, not Jordan's
    assert_error(*api.post("/api/v1/orders", checkout_body(cart_id, shippingMethod="pigeon"))[:2], 422,
                 reason="unknown_shipping_method")


def test_a_free_shipping_code_still_waives_the_zone_price(api, staff):
    create_zone(api, staff)
    status, body, _ = api.post("/api/v1/promos", {"code": "SHIPFREE", "type": "free_shipping", "value": 0},
                               token=staff)
    assert status == 201, body
    cart_id = fill_cart(api, make_product(price=1000, stock=10))
    assert api.post("/api/v1/checkout/discount", {"cartId": cart_id, "discountCode": "SHIPFREE"})[0] == 200
    body = checkout_body(cart_id, shippingAddress={**ADDRESS, "country": "KW"})
    status, answer, _ = api.post("/api/v1/orders", body)
    assert status == 202, answer
    order = Order.get_by_id(api.wait_job(answer["data"]["id"])["result"]["orderId"])
    assert order.shipping == 0 and order.shipping_method["price"] == 700


# --------------------------------------------------------------------------- delivery dates

def test_delivery_dates_list_the_bookable_days(api, clock):
    data = api.get(f"{DATES}?limit=5")[1]["data"]
    # Wednesday 2 December 10:00 UTC, before the 14:00 cut-off: today is bookable; no Sundays
    assert data["dates"] == ["2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05", "2026-12-07"]
    assert (data["timeZone"], data["cutoffTime"], data["horizonDays"]) == ("UTC", "14:00", 30)
    assert data["deliveryDays"] == ["mon", "tue", "wed", "thu", "fri", "sat"]
    clock(dt.datetime(2026, 12, 2, 14, 0))
    assert api.get(f"{DATES}?limit=1")[1]["data"]["dates"] == ["2026-12-03"]  # cut-off passed
    assert len(api.get(f"{DATES}?limit=100")[1]["data"]["dates"]) == 26  # 3 Dec - 1 Jan without Sundays


@pytest.mark.parametrize("moment, day, reason", [
    (WEDNESDAY_10_UTC, "2026-12-02", None),  # today, before the cut-off
    (dt.datetime(2026, 12, 2, 13, 59), "2026-12-02", None),
    (dt.datetime(2026, 12, 2, 14, 0), "2026-12-02", "delivery_date_cutoff_passed"),
    (WEDNESDAY_10_UTC, "2026-12-01", "delivery_date_past"),
    (WEDNESDAY_10_UTC, "2026-12-06", "delivery_date_not_delivery_day"),  # a Sunday
    (WEDNESDAY_10_UTC, "2027-01-01", None),  # 30 days ahead
    (WEDNESDAY_10_UTC, "2027-01-02", "delivery_date_too_far"),
])
def test_checkout_checks_the_delivery_date_and_the_order_shows_it(api, clock, moment, day, reason):
    clock(moment)
    cart_id = fill_cart(api, make_product(price=1000, stock=10))
    jobs = Job.select().count()
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id, deliveryDate=day))
    if reason:
        assert_error(status, body, 422, reason=reason)
        assert body["error"]["details"][0]["field"] == "deliveryDate"
        assert Job.select().count() == jobs
        return
    assert status == 202, body
    order = api.get(f"/api/v1/orders/{api.wait_job(body['data']['id'])['result']['orderId']}")[1]["data"]
    assert order["deliveryDate"] == day


def test_the_cut_off_is_in_the_shop_time_zone(api, clock, settings, monkeypatch):
    import dataclasses

    import config

    monkeypatch.setattr(config, "_settings", dataclasses.replace(settings, shop_timezone="Asia/Amman"))
    clock(dt.datetime(2026, 12, 2, 11, 30))  # 14:30 in Amman (UTC+3): today's cut-off has passed
    assert api.get(f"{DATES}?limit=1")[1]["data"]["dates"] == ["2026-12-03"]
    clock(dt.datetime(2026, 12, 2, 22, 30))  # 01:30 on Thursday in Amman: Thursday is today, bookable
    assert api.get(f"{DATES}?limit=1")[1]["data"]["dates"] == ["2026-12-03"]


def test_an_order_without_a_delivery_date_shows_null(api):
    cart_id = fill_cart(api, make_product(price=1000, stock=10))
    status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id))
    assert status == 202, body
    order = api.get(f"/api/v1/orders/{api.wait_job(body['data']['id'])['result']['orderId']}")[1]["data"]
    assert order["deliveryDate"] is None


def test_a_zone_change_lands_in_the_audit_log_with_before_and_after(api, staff):
    from models.audit import AuditEntry

    zone = create_zone(api, staff)
    assert api.put(f"{ZONES}/{zone['id']}", {"name": "Gulf states"}, token=staff)[0] == 200
    entry = AuditEntry.get(AuditEntry.action == "PUT /api/v1/shipping/zones/<id(shz):zone_id>")
    assert entry.target_id == zone["id"] and entry.before["name"] == "Gulf" and entry.after["name"] == "Gulf states"
