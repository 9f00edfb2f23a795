"""The address book over HTTP (seed 003 addresses, seed 004 customer_addresses): CRUD in the
order address shape, one default per type kept in one transaction (and by a partial unique
index), another customer's ids answering 404, at most 50 addresses, personal fields encrypted,
and `address_for_checkout` giving an address checkout accepts."""

from __future__ import annotations

import peewee
import pytest

from models.db import database
from models.profiles import CustomerAddress
from services import customers
from services.errors import NotFound
from tests.factories import assert_error, checkout_body, fill_cart, make_product, quick_user, token_for
from web.schemas import AddressSchema, ShippingAddressSchema

URL = "/api/v1/users/addresses"
HOME = {"label": "Home", "firstName": "Layla", "lastName": "Haddad", "company": "Amour Florals",
        "street": "Queen Rania Street", "building": "Building 15", "apartment": "Apt 3A", "city": "Amman",
        "governorate": "Amman", "postalCode": "11118", "country": "JO", "phone": "079 123 4567"}
ENTRY_KEYS = {"id", "label", "type", "isDefault", "firstName", "lastName", "company", "street", "building",
              "apartment", "city", "state", "governorate", "postalCode", "country", "phone", "createdAt", "updatedAt"}




def create(api, token, **fields):
    status, body, _ = api.post(URL, dict(HOME, **fields), token=token)
    assert status == 201, body
    return body["data"]


def defaults(api, token) -> dict:
    listed = api.get(URL, token=token)[1]["data"]
    return {kind: [a["id"] for a in listed if a["type"] == kind and a["isDefault"]] for kind in ("shipping", "billing")}


def test_the_address_book_needs_a_signed_in_customer(api):
    for method, path in [("GET", URL), ("POST", URL), ("GET", f"{URL}/adr_x"), ("DELETE", f"{URL}/adr_x"),
                         ("POST", f"{URL}/adr_x/default")]:
        status, body, _ = api.call(method, path, json={} if method == "POST" else None)
        assert_error(status, body, 401)


def test_create_read_list_replace_patch_and_delete(api, token):
    created = create(api, token)
    assert set(created) == ENTRY_KEYS
    assert created["type"] == "shipping" and created["isDefault"] is True  # the first one is the default
    assert created["phone"] == "+962791234567"  # read in the address's country, stored E.164
    assert created["building"] == "Building 15" and created["state"] is None
    address_id = created["id"]
    assert api.get(f"{URL}/{address_id}", token=token)[1]["data"] == created
    assert [a["id"] for a in api.get(URL, token=token)[1]["data"]] == [address_id]

    status, body, _ = api.call("PATCH", f"{URL}/{address_id}", json={"apartment": "Apt 9", "label": "Flat"},
                               token=token)
    assert status == 200, body
    assert body["data"]["apartment"] == "Apt 9" and body["data"]["label"] == "Flat"
    assert body["data"]["street"] == "Queen Rania Street" and body["data"]["isDefault"] is True

    status, body, _ = api.put(f"{URL}/{address_id}", {"firstName": "Omar", "lastName": "Alioui", "street": "Rue 1",
                                                      "city": "Casablanca", "country": "MA"}, token=token)
    assert status == 200, body
    replaced = body["data"]
    assert (replaced["firstName"], replaced["city"], replaced["country"]) == ("Omar", "Casablanca", "MA")
    assert replaced["company"] is None and replaced["phone"] is None and replaced["label"] is None  # cleared
    assert replaced["isDefault"] is True  # kept unless sent

    status, body, _ = api.delete(f"{URL}/{address_id}", token=token)
    assert status == 200, body
    status, body, _ = api.get(f"{URL}/{address_id}", token=token)
    assert_error(status, body, 404, "address_not_found")
    assert api.get(URL, token=token)[1]["data"] == []


def test_one_default_per_type_and_setting_one_unsets_the_other(api, token):
    first = create(api, token)["id"]
    second = create(api, token, label="Work", isDefault=True)["id"]
    billing = create(api, token, type="billing")["id"]
    assert defaults(api, token) == {"shipping": [second], "billing": [billing]}
    third = create(api, token, label="Cottage")["id"]  # not asked to be default: it is not
    assert defaults(api, token) == {"shipping": [second], "billing": [billing]}

    status, body, _ = api.post(f"{URL}/{first}/default", token=token)
    assert status == 200 and body["data"]["isDefault"] is True, body
    assert defaults(api, token) == {"shipping": [first], "billing": [billing]}

    api.call("PATCH", f"{URL}/{third}", json={"isDefault": True}, token=token)
    assert defaults(api, token) == {"shipping": [third], "billing": [billing]}

    api.delete(f"{URL}/{third}", token=token)  # the default goes: the newest other shipping address takes over
    assert defaults(api, token) == {"shipping": [second], "billing": [billing]}

    api.call("PATCH", f"{URL}/{second}", json={"type": "billing"}, token=token)  # the default moves to billing
    assert defaults(api, token) == {"shipping": [first], "billing": [second]}


def test_the_database_refuses_a_second_default_of_a_type(db, user):
    CustomerAddress.create(user=user.id, type="shipping", is_default=True, city="Amman", country="JO")
    CustomerAddress.create(user=user.id, type="billing", is_default=True, city="Amman", country="JO")
    CustomerAddress.create(user=user.id, type="shipping", is_default=False, city="Amman", country="JO")
    with pytest.raises(peewee.IntegrityError):
        with database.atomic():
            CustomerAddress.create(user=user.id, type="shipping", is_default=True, city="Irbid", country="JO")


def test_another_customers_address_is_404_and_stays_untouched(api, token):
    other = token_for(quick_user())
    theirs = create(api, other)
    for method, body in [("GET", None), ("PUT", dict(HOME, street="Mine now")), ("PATCH", {"street": "Mine now"}),
                         ("DELETE", None)]:
        status, answer, _ = api.call(method, f"{URL}/{theirs['id']}", json=body, token=token)
        assert_error(status, answer, 404, "address_not_found")
    status, answer, _ = api.post(f"{URL}/{theirs['id']}/default", token=token)
    assert_error(status, answer, 404, "address_not_found")
    assert api.get(f"{URL}/{theirs['id']}", token=other)[1]["data"] == theirs
    assert api.get(URL, token=token)[1]["data"] == []


def test_an_address_book_holds_at_most_50_addresses(api, user, token):
    for i in range(customers.MAX_ADDRESSES - 1):
        CustomerAddress.create(user=user.id, street=f"Street {i}", city="Amman", country="JO", first_name="A",
                               last_name="B")
    create(api, token)  # the 50th
    status, body, _ = api.post(URL, HOME, token=token)
    assert_error(status, body, 422, "address_limit_reached")
    assert CustomerAddress.select().where(CustomerAddress.user == user.id).count() == 50
    other = token_for(quick_user())
    assert api.post(URL, HOME, token=other)[0] == 201  # the limit is per customer


@pytest.mark.parametrize("change, reason", [
    ({"street": None}, None), ({"street": ""}, None), ({"city": "x" * 101}, None), ({"country": "jo"}, None),
    ({"country": "Jordan"}, None), ({"type": "home"}, None), ({"phone": "12"}, "invalid_phone"),
    ({"phone": "+1234567890"}, "invalid_phone"), ({"email": "a@example.com"}, None), ({"instructions": "x"}, None),
    ({"isDefault": "yes"}, None), ({"unknown": 1}, None), ({"firstName": ""}, None),
])
def test_bad_addresses_are_422_and_save_nothing(api, user, token, change, reason):
    body = dict(HOME, **change)
    body = {k: v for k, v in body.items() if v is not None}
    status, answer, _ = api.post(URL, body, token=token)
    assert_error(status, answer, 422, reason)
    assert CustomerAddress.select().count() == 0


def test_a_patch_is_validated_against_the_merged_address(api, token):
    address = create(api, token)
    status, body, _ = api.call("PATCH", f"{URL}/{address['id']}", json={"phone": "+1234567890"}, token=token)
    assert_error(status, body, 422, "invalid_phone")
    status, body, _ = api.call("PATCH", f"{URL}/{address['id']}", json={"type": None}, token=token)
    assert_error(status, body, 422)
    assert api.get(f"{URL}/{address['id']}", token=token)[1]["data"] == address


def test_personal_address_fields_are_encrypted_in_the_database(api, user, token):
    address = create(api, token)
    row = database.execute_sql(f"SELECT first_name, last_name, company, street, building, apartment, postal_code, "
                               f"phone, city, country FROM customer_address WHERE id = {database.param}",
                               (address["id"],)).fetchone()
    for value, plaintext in zip(row[:8], ("Layla", "Haddad", "Amour", "Queen Rania", "Building 15", "Apt 3A",
                                          "11118", "791234567")):
        assert value.startswith("v1:") and plaintext not in value
    assert row[8:] == ("Amman", "JO")


def test_address_for_checkout_gives_the_order_address_shape(api, user, token):
    address = create(api, token)
    shape = customers.address_for_checkout(user.id, address["id"])
    assert shape == {"firstName": "Layla", "lastName": "Haddad", "email": user.email, "phone": "+962791234567",
                     "company": "Amour Florals", "country": "JO", "city": "Amman", "governorate": "Amman",
                     "postalCode": "11118", "street": "Queen Rania Street", "building": "Building 15",
                     "apartment": "Apt 3A"}
    assert AddressSchema().load(shape) == shape and ShippingAddressSchema().load(shape) == shape
    with pytest.raises(NotFound) as caught:
        customers.address_for_checkout(quick_user().id, address["id"])
    assert caught.value.reason == "address_not_found"


def test_a_saved_address_places_an_order(api, user, token):
    address = create(api, token)
    billing = create(api, token, label="Office", type="billing", street="Zahran Street")
    product = make_product(stock=2)
    cart_id = fill_cart(api, product, token=token)
    body = checkout_body(cart_id, shippingAddressId=address["id"], billingAddressId=billing["id"])
    del body["shippingAddress"], body["billingAddress"]
    status, answer, _ = api.post("/api/v1/orders", body, token=token, headers={"Prefer": "wait=10"})
    assert status == 200 and answer["data"]["state"] == "succeeded", answer
    order = api.get(f"/api/v1/orders/{answer['data']['result']['orderId']}", token=token)[1]["data"]
    assert order["shippingAddress"]["street"] == "Queen Rania Street"
    assert order["shippingAddress"]["phone"] == "+962791234567"
    assert order["billingAddress"]["street"] == "Zahran Street"


def test_checkout_takes_only_the_callers_saved_address_and_one_shipping_address(api, user, token):
    address = create(api, token)
    product = make_product(stock=2)
    cart_id = fill_cart(api, product, token=token)
    base = checkout_body(cart_id)
    del base["shippingAddress"]
    other = token_for(quick_user())
    status, body, _ = api.post("/api/v1/orders", {**base, "shippingAddressId": address["id"]}, token=other)
    assert status == 404 and body["error"]["reason"] == "address_not_found"
    status, body, _ = api.post("/api/v1/orders", {**base, "shippingAddressId": address["id"]})
    assert status == 401
    both = {**base, "shippingAddressId": address["id"], "shippingAddress": checkout_body(cart_id)["shippingAddress"]}
    assert api.post("/api/v1/orders", both, token=token)[0] == 422
    assert api.post("/api/v1/orders", base, token=token)[0] == 422  # neither
    assert api.post("/api/v1/orders", {**base, "shippingAddressId": "adr_missing"}, token=token)[0] == 404


def test_parallel_writes_keep_one_default_and_the_limit(app, api, user, token):
    from concurrent.futures import ThreadPoolExecutor

    from tests.factories import ApiClient

    ids = [create(api, token, label=f"A{i}")["id"] for i in range(8)]

    def make_default(address_id):
        return ApiClient(app.test_client()).post(f"{URL}/{address_id}/default", token=token)[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(make_default, ids))
    assert statuses == [200] * 8  # serialised on the address-book lock: no conflict to retry
    assert len(defaults(api, token)["shipping"]) == 1

    for i in range(customers.MAX_ADDRESSES - 8 - 4):
        CustomerAddress.create(user=user.id, street=f"Street {i}", city="Amman", country="JO")

    def add(_):
        return ApiClient(app.test_client()).post(URL, dict(HOME, isDefault=True), token=token)[0]

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(add, range(10)))
    assert sorted(statuses) == [201] * 4 + [422] * 6, statuses
    assert CustomerAddress.select().where(CustomerAddress.user == user.id).count() == customers.MAX_ADDRESSES
    assert len(defaults(api, token)["shipping"]) == 1


def test_a_saved_address_checkout_cannot_use_is_422_naming_the_field_it_came_from(api, user, token):
    product = make_product(stock=2)
    cart_id = fill_cart(api, product, token=token)
    for kind, field, lacking in (("shipping", "shippingAddressId", "firstName"),
                                 ("billing", "billingAddressId", "street")):
        saved = create(api, token, type=kind)
        CustomerAddress.update(**{"first_name" if lacking == "firstName" else "street": None}).where(
            CustomerAddress.id == saved["id"]).execute()  # a row from before a rule, say
        body = checkout_body(cart_id, **{field: saved["id"]})
        del body["shippingAddress" if kind == "shipping" else "billingAddress"]
        if kind == "billing":
            body["shippingAddressId"] = create(api, token)["id"]
            del body["shippingAddress"]
        status, answer, _ = api.post("/api/v1/orders", body, token=token)
        assert status == 422 and answer["error"]["reason"] == "invalid_saved_address", answer
        assert [d["field"] for d in answer["error"]["details"]] == [f"{field}.{lacking}"]
