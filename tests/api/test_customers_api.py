"""The seed-004 customers API over HTTP: staff create customers with a skin profile, list and
search them; a customer reads only their own record (with profile, addresses and order
history), staff anyone's; guests are 401, customers 403 on the staff routes."""

from __future__ import annotations

import datetime as dt

import pytest

from models.db import database
from models.orders import Order
from models.profiles import CustomerAddress
from models.users import User
from tests.factories import quick_user, token_for

URL = "/api/v1/customers"
SEED = {"email": "Customer@Example.com", "firstName": "John", "lastName": "Doe", "phone": "+1 415 555 2671",
        "dateOfBirth": "1990-01-15", "skinType": "combination", "skinConcerns": ["acne", "dark-spots"]}
CUSTOMER_KEYS = {"id", "email", "firstName", "lastName", "phone", "dateOfBirth", "gender", "language", "skinProfile",
                 "avatarUrl", "emailVerified", "isActive", "createdAt", "updatedAt"}


@pytest.fixture()
def staff(db):
    return token_for(quick_user(role="staff"))


def assert_error(status, body, expected, reason=None):
    assert status == expected, body
    assert set(body["error"]) >= {"code", "message", "details", "requestId"}, body
    if reason:
        assert body["error"]["reason"] == reason, body


def make_order(user, number, at):
    return Order.create(order_number=f"SKN-2025-{number:06d}", customer=user.id, customer_email=user.email,
                        payment_method="cash_on_delivery", subtotal=1000 * number, total=1000 * number,
                        currency="USD", shipping_address={}, billing_address={}, shipping_method={},
                        status="delivered" if number % 2 else "pending", created_at=at)


def test_guests_are_401_everywhere(api, db):
    for method, path in [("GET", URL), ("POST", URL), ("GET", f"{URL}/usr_doesnotexist")]:
        status, body, _ = api.call(method, path, json=SEED if method == "POST" else None)
        assert_error(status, body, 401)


def test_customers_are_403_on_the_staff_routes(api, db):
    token = token_for(quick_user())
    for method, path in [("GET", URL), ("POST", URL)]:
        status, body, _ = api.call(method, path, json=SEED if method == "POST" else None, token=token)
        assert_error(status, body, 403, "insufficient_role")
    assert User.select().where(User.email == "customer@example.com").count() == 0


def test_staff_create_a_customer_in_the_seed_shape(api, staff):
    status, body, _ = api.post(URL, SEED, token=staff)
    assert status == 201, body
    customer = body["data"]
    assert set(customer) == CUSTOMER_KEYS
    assert customer["id"].startswith("usr_") and customer["email"] == "customer@example.com"
    assert (customer["firstName"], customer["lastName"], customer["phone"]) == ("John", "Doe", "+14155552671")
    assert customer["dateOfBirth"] == "1990-01-15"
    assert customer["skinProfile"] == {"skinType": "combination", "skinConcerns": ["acne", "dark-spots"]}
    user = User.get_by_id(customer["id"])
    assert user.role == "customer" and user.password_hash == "!"
    row = database.execute_sql(f"SELECT date_of_birth, skin_type FROM customer_profile WHERE user_id = "
                               f"{database.param}", (user.id,)).fetchone()
    assert all(value.startswith("v1:") for value in row) and "combination" not in row[1]
    # no password until they reset it: no password signs in
    for password in ("", "!", "correct-horse-9"):
        status, _, _ = api.post("/api/v1/auth/login", {"email": "customer@example.com", "password": password or "x"})
        assert status == 401


def test_admins_create_customers_too_and_emails_are_unique(api, staff):
    admin = token_for(quick_user(role="admin"))
    assert api.post(URL, {"email": "a@example.com"}, token=admin)[0] == 201
    status, body, _ = api.post(URL, {"email": "A@example.com"}, token=staff)
    assert_error(status, body, 409, "email_taken")


@pytest.mark.parametrize("change, reason", [
    ({"email": "not-an-email"}, None), ({"phone": "+1234567890"}, "invalid_phone"),
    ({"dateOfBirth": (dt.date.today() - dt.timedelta(days=365 * 5)).isoformat()}, "invalid_date_of_birth"),
    ({"skinType": "scaly"}, None), ({"skinConcerns": "acne"}, None), ({"password": "x"}, None),
    ({"role": "admin"}, None),
])
def test_bad_customers_are_422_and_create_nothing(api, staff, change, reason):
    users = User.select().count()
    status, body, _ = api.post(URL, dict(SEED, **change), token=staff)
    assert_error(status, body, 422, reason)
    assert User.select().count() == users


def test_a_customer_reads_their_record_with_addresses_and_order_history(api, db):
    user = quick_user()
    token = token_for(user)
    start = dt.datetime(2025, 1, 1)
    for number in range(1, 26):
        make_order(user, number, start + dt.timedelta(days=number))
    make_order(quick_user(), 99, start)  # someone else's
    api.post("/api/v1/users/addresses", {"firstName": "J", "lastName": "D", "street": "S", "city": "Amman",
                                         "country": "JO"}, token=token)
    status, body, _ = api.get(f"{URL}/{user.id}", token=token)
    assert status == 200, body
    record = body["data"]
    assert set(record) == CUSTOMER_KEYS | {"addresses", "orders", "counts"}
    assert record["counts"] == {"orders": 25, "addresses": 1}
    assert len(record["orders"]) == 20
    assert [o["orderNumber"] for o in record["orders"]] == [f"SKN-2025-{n:06d}" for n in range(25, 5, -1)]
    assert set(record["orders"][0]) == {"id", "orderNumber", "status", "paymentStatus", "total", "currency",
                                        "createdAt"}
    assert record["orders"][0]["total"] == 25000 and record["orders"][0]["status"] == "delivered"
    assert record["addresses"][0]["street"] == "S" and record["addresses"][0]["isDefault"] is True


def test_a_customer_cannot_read_another_customer(api, db):
    other = quick_user()
    make_order(other, 1, dt.datetime(2025, 1, 1))
    status, body, _ = api.get(f"{URL}/{other.id}", token=token_for(quick_user()))
    assert_error(status, body, 404, "customer_not_found")
    assert "orders" not in body


def test_staff_read_anyone_and_unknown_ids_are_404(api, staff):
    customer = quick_user()
    CustomerAddress.create(user=customer.id, street="S", city="Amman", country="JO", first_name="A", last_name="B")
    status, body, _ = api.get(f"{URL}/{customer.id}", token=staff)
    assert status == 200 and body["data"]["id"] == customer.id and body["data"]["counts"]["addresses"] == 1
    status, body, _ = api.get(f"{URL}/usr_doesnotexist", token=staff)
    assert_error(status, body, 404, "customer_not_found")


def test_staff_list_and_search_customers_with_pagination(api, staff):
    names = [("amira@example.com", "Amira", "Haddad"), ("omar@shop.test", "Omar", "Alioui"),
             ("layla@example.com", "Layla", "Amari"), ("zed@example.com", "Zed", "Zulu")]
    for email, first, last in names:
        assert api.post(URL, {"email": email, "firstName": first, "lastName": last}, token=staff)[0] == 201
    quick_user(role="staff")  # staff accounts are not customers

    status, body, _ = api.get(f"{URL}?limit=3", token=staff)
    assert status == 200, body
    assert len(body["data"]) == 3 and body["pagination"] == {"page": 1, "limit": 3, "total": 4, "totalPages": 2,
                                                             "hasNext": True, "hasPrev": False}
    assert body["data"][0]["email"] == "zed@example.com"  # newest first
    assert set(body["data"][0]) == CUSTOMER_KEYS
    page2 = api.get(f"{URL}?limit=3&page=2", token=staff)[1]
    assert [c["email"] for c in page2["data"]] == ["amira@example.com"] and page2["pagination"]["hasPrev"] is True

    def search(q):
        return sorted(c["email"] for c in api.get(f"{URL}?q={q}", token=staff)[1]["data"])

    assert search("am") == ["amira@example.com", "layla@example.com"]  # email or last-name prefix
    assert search("OMA") == ["omar@shop.test"]  # case-insensitive
    assert search("haddad") == ["amira@example.com"]
    assert search("example") == []  # a prefix, not a substring
    assert search("%25") == [] and search("_") == []  # wildcards are literal


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "page=0", "q=", "sort=email"])
def test_bad_list_queries_are_4xx(api, staff, query):
    status, body, _ = api.get(f"{URL}?{query}", token=staff)
    assert status in (400, 422) and body["error"]["code"] == "VALIDATION_ERROR", body
