"""Analytics routes (issue 10): staff read the reports (with private caching) once a rollup job
has run, customers get 403 and guests 401, bad input is 422 with a registered reason, and
`POST /analytics/rollup` answers 202 with the job whose figures the reports then serve."""

from __future__ import annotations

import datetime as dt

import pytest

from models.orders import Order
from tests.factories import assert_error, make_product, place_order, quick_user, token_for
from tests.services.analytics.history import D1, D2, build_history
from web.reasons import REGISTRIES

API = "/api/v1"
READS = ("/analytics/sales", "/analytics/products", "/analytics/users", "/analytics/revenue", "/analytics/dashboard",
         "/orders/analytics")


@pytest.fixture()
def staff_token(db):
    return token_for(quick_user(role="staff"))


def roll_up(api, token, first, last) -> dict:
    status, body, headers = api.post(f"{API}/analytics/rollup", {"from": first.isoformat(), "to": last.isoformat()},
                                     token=token)
    assert status == 202, body
    assert headers["Location"] == f"{API}/jobs/{body['data']['id']}"
    assert body["data"]["type"] == "analytics_rollup"
    job = api.wait_job(body["data"]["id"], token=token)
    assert job["state"] == "succeeded", job
    return job


def test_staff_get_the_day_s_figures_after_the_rollup_with_private_caching(api, token, staff_token):
    product = make_product(price=2500, stock=10)
    orders = [place_order(api, product, token=token), place_order(api, product, token=token, quantity=2)]
    today = dt.datetime.now(dt.timezone.utc).date()
    status, body, _ = api.get(f"{API}/analytics/sales?from={today}&to={today}", token=staff_token)
    assert status == 200 and body["data"]["series"][0]["orders"] == 0  # nothing rolled up yet
    assert body["data"]["computedAt"] is None and body["data"]["daysComputed"] == 0

    job = roll_up(api, staff_token, today, today)
    assert job["result"]["orders"] == 2 and job["result"]["days"] == 1
    status, body, headers = api.get(f"{API}/analytics/sales?from={today}&to={today}", token=staff_token)
    assert status == 200, body
    assert headers["Cache-Control"] == "private, max-age=60"
    revenue = sum(Order.get_by_id(order_id).total for order_id in orders)
    [point] = body["data"]["series"]
    assert point["period"] == today.isoformat()
    assert (point["orders"], point["units"], point["revenue"]) == (2, 3, revenue)
    assert point["averageOrderValue"] == (2 * revenue + 2) // 4
    assert body["data"]["currency"] == "USD" and body["data"]["daysComputed"] == 1

    status, board, headers = api.get(f"{API}/analytics/dashboard", token=staff_token)
    assert status == 200 and headers["Cache-Control"] == "private, max-age=60"
    assert board["data"]["today"]["orders"] == 2 and board["data"]["today"]["newCustomers"] == 1
    assert board["data"]["topProducts"][0] == {"productId": product.id, "name": product.name, "categoryId": None,
                                               "units": 3, "orders": 2, "revenue": 7500}
    assert board["data"]["computedAt"] == job["result"]["computedAt"]


def test_the_history_reads_as_weekly_and_monthly_series_per_currency(api, staff_token):
    shop = build_history()
    roll_up(api, staff_token, D1, D2)
    status, body, _ = api.get(f"{API}/analytics/sales?from={D1}&to={D2}&interval=week&currency=usd",
                              token=staff_token)
    assert status == 200, body
    assert [(p["period"], p["orders"], p["revenue"], p["refunds"]) for p in body["data"]["series"]] == [
        ("2026-11-23", 2, 5360, 0), ("2026-11-30", 4, 9500, 500)]
    status, body, _ = api.get(f"{API}/analytics/sales?from={D1}&to={D2}&interval=month&currency=EUR",
                              token=staff_token)
    assert [(p["period"], p["orders"], p["revenue"], p["refunds"]) for p in body["data"]["series"]] == [
        ("2026-11-01", 1, 2700, 700)]
    status, body, _ = api.get(f"{API}/analytics/users?from={D1}&to={D2}&interval=month", token=staff_token)
    [november] = body["data"]["series"]
    assert (november["customers"], november["newCustomers"], november["returningCustomers"]) == (4, 3, 1)
    assert november["cartAbandonmentRate"] == 0.6667 and november["newAccounts"] == 3
    status, body, _ = api.get(f"{API}/orders/analytics?from={D1}&to={D2}", token=staff_token)
    assert [p["orderCompletionRate"] for p in body["data"]["series"]] == [0.3333, 0.0]
    assert body["data"]["totals"]["cancelledOrders"] == 1
    status, body, _ = api.get(f"{API}/analytics/products?from={D1}&to={D2}&limit=1&sort=units", token=staff_token)
    assert [p["productId"] for p in body["data"]["products"]] == [shop["products"]["a"].id]
    assert body["data"]["categories"][0]["name"] == "Roses"
    status, body, _ = api.get(f"{API}/analytics/revenue?from={D1}&to={D2}&interval=month", token=staff_token)
    assert body["data"]["totals"]["grossSales"] == 14500 and body["data"]["totals"]["netRevenue"] == 14360


def test_customers_are_refused_and_guests_must_sign_in(api, token, staff_token):
    for path in READS:
        assert_error(*api.get(f"{API}{path}", token=token)[:2], 403, reason="insufficient_role")
        assert_error(*api.get(f"{API}{path}")[:2], 401)
        status, _, headers = api.get(f"{API}{path}", token=staff_token)
        assert status == 200 and headers["Cache-Control"] == "private, max-age=60", path
    assert_error(*api.post(f"{API}/analytics/rollup", {}, token=token)[:2], 403, reason="insufficient_role")
    assert_error(*api.post(f"{API}/analytics/rollup", {})[:2], 401)


def test_admins_read_and_roll_up_too(api, admin_token):
    assert api.get(f"{API}/analytics/dashboard", token=admin_token)[0] == 200
    assert api.post(f"{API}/analytics/rollup", token=admin_token)[0] == 202  # no body: yesterday and today


@pytest.mark.parametrize("query, reason", [
    ("from=2026-13-01", "invalid_analytics_query"),
    ("to=yesterday", "invalid_analytics_query"),
    ("from=2026-11-30T10:00:00Z", "invalid_analytics_query"),
    ("from=0001-01-01", "invalid_analytics_query"),
    ("interval=hour", "invalid_analytics_query"),
    ("currency=US", "invalid_analytics_query"),
    ("from=2026-11-30&to=2026-11-01", "analytics_range_reversed"),
    ("from=2025-01-01&to=2026-01-02", "analytics_range_too_long"),
    ("from=2020-01-01&to=2026-01-02&interval=week", "analytics_range_too_long"),
])
def test_bad_report_parameters_are_422_with_a_reason(api, staff_token, query, reason):
    for path in ("/analytics/sales", "/orders/analytics"):
        status, body, _ = api.get(f"{API}{path}?{query}", token=staff_token)
        assert_error(status, body, 422, reason=reason)
        assert body["error"]["code"] == "VALIDATION_ERROR" and body["error"]["details"], body


def test_bad_product_and_rollup_input_is_422_with_a_reason(api, staff_token):
    assert_error(*api.get(f"{API}/analytics/products?limit=0", token=staff_token)[:2], 422,
                 reason="invalid_analytics_query")
    assert_error(*api.get(f"{API}/analytics/products?sort=price", token=staff_token)[:2], 422,
                 reason="invalid_analytics_query")
    tomorrow = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)
    for body, reason in [({"from": "2026-11-30", "to": "2026-11-01"}, "analytics_range_reversed"),
                         ({"from": "2024-01-01", "to": "2025-06-01"}, "analytics_range_too_long"),
                         ({"to": tomorrow.isoformat()}, "analytics_future_day"),
                         ({"from": "30/11/2026"}, "invalid_analytics_query"),
                         ({"days": 3}, "invalid_analytics_query")]:
        assert_error(*api.post(f"{API}/analytics/rollup", body, token=staff_token)[:2], 422, reason=reason)


def test_the_rollup_trigger_replays_an_idempotency_key(api, staff_token):
    body = {"from": D1.isoformat(), "to": D2.isoformat()}
    headers = {"Idempotency-Key": "rollup-november"}
    first = api.post(f"{API}/analytics/rollup", body, token=staff_token, headers=headers)
    again = api.post(f"{API}/analytics/rollup", body, token=staff_token, headers=headers)
    assert first[0] == again[0] == 202
    assert again[1]["data"]["id"] == first[1]["data"]["id"] and again[2]["Idempotent-Replayed"] == "true"


def test_the_reasons_are_registered_by_the_analytics_package():
    assert {"invalid_analytics_query", "analytics_range_reversed", "analytics_range_too_long",
            "analytics_future_day"} <= set(REGISTRIES["analytics"])


def test_the_routes_are_documented_with_their_parameters(client):
    spec = client.get(f"{API}/openapi.json").get_json()
    for path in READS:
        operation = spec["paths"][f"{API}{path}"]["get"]
        names = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
        assert {"from", "to", "currency"} <= names, path
        assert operation["security"] == [{"bearerAuth": []}]
    assert "interval" in {p["name"] for p in spec["paths"][f"{API}/analytics/sales"]["get"]["parameters"]}
    assert "202" in spec["paths"][f"{API}/analytics/rollup"]["post"]["responses"]
