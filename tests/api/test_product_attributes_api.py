"""Typed attributes through the API: an admin creates a florist product, the list filters on
occasion (and friends), bad attributes are 422s in the envelope, customers cannot write;
GET /products/featured and /products/popular (an order makes a product popular)."""

import pytest

from tests.factories import assert_error, make_product, make_user, token_for
from tests.factories.orders import place_order
from web.products import ProductDetailSchema, ProductListSchema

BASE = "/api/v1/products"
ROSES = {"name": "Birthday Roses", "kind": "florist", "occasion": ["birthday", "romance"], "flowerType": "rose",
         "colors": ["red"], "isFeatured": True, "variants": [{"price": 4900, "inventoryCount": 5}]}


@pytest.fixture()
def admin(db):
    return token_for(make_user(role="admin"))


def _create(api, admin, body):
    status, answer, _ = api.post(BASE, body, token=admin)
    assert status == 201, answer
    return answer["data"]


def test_an_admin_creates_a_florist_product_with_typed_fields(api, admin):
    product = _create(api, admin, ROSES)
    assert ProductDetailSchema().validate(product) == {}
    assert (product["kind"], product["isFeatured"], product["occasion"], product["flowerType"]) == (
        "florist", True, ["birthday", "romance"], "rose")
    assert product["attributes"] == {"occasion": ["birthday", "romance"], "flowerType": "rose", "colors": ["red"]}
    status, body, _ = api.put(f"{BASE}/{product['id']}", {"occasion": None, "colors": ["red", "white"]}, token=admin)
    assert status == 200, body
    assert body["data"]["attributes"] == {"flowerType": "rose", "colors": ["red", "white"]}
    assert "occasion" not in body["data"]


def test_the_list_filters_on_occasion_and_other_attributes(api, admin):
    _create(api, admin, ROSES)
    _create(api, admin, {**ROSES, "name": "Wedding Lilies", "occasion": ["wedding"], "flowerType": "lily",
                         "colors": ["white"], "isFeatured": False})
    _create(api, admin, {"name": "Comte", "kind": "cheese", "weight": 250, "milk": "cow",
                         "nutritionalInfo": {"calories": 410, "protein": 28, "fat": 33, "carbohydrates": 0},
                         "variants": [{"price": 1200, "inventoryCount": 5}]})
    make_product(name="Plain thing")

    def names(query):
        status, body, _ = api.get(f"{BASE}?{query}")
        assert status == 200 and ProductListSchema().validate(body) == {}, body
        return sorted(p["name"] for p in body["data"])

    assert names("occasion=birthday") == ["Birthday Roses"]
    assert names("occasion=birthday,wedding") == ["Birthday Roses", "Wedding Lilies"]
    assert names("occasion=wedding&color=red") == []
    assert names("color=white&flowerType=lily") == ["Wedding Lilies"]
    assert names("kind=cheese") == ["Comte"]
    assert names("kind=cheese,florist&isFeatured=true") == ["Birthday Roses"]
    assert names("milk=cow") == ["Comte"]
    item = api.get(f"{BASE}?kind=cheese")[1]["data"][0]
    assert item["kind"] == "cheese" and item["isFeatured"] is False and "nutritionalInfo" not in item
    for bad in ("occasion=partying", "occasion=birthday,", "kind=furniture", "isFeatured=yes", "skinType=DRY"):
        assert_error(*api.get(f"{BASE}?{bad}")[:2], 422)


@pytest.mark.parametrize("extra, field", [
    ({"nutritionalInfo": {"protein": "lots"}}, "nutritionalInfo"),
    ({"nutritionalInfo": {"protein": 250}}, "nutritionalInfo"),
    ({"nutritionalInfo": {"sugar": 3}}, "nutritionalInfo"),
    ({"weight": -5}, "weight"),
])
def test_bad_typed_values_are_422_in_the_envelope(api, admin, extra, field):
    body = {"name": "Brie", "kind": "cheese", "variants": [{"price": 900}], **extra}
    status, answer, _ = api.post(BASE, body, token=admin)
    assert_error(status, answer, 422)
    assert any(d["field"].startswith(field) for d in answer["error"]["details"]), answer


def test_another_kinds_attribute_is_rejected_by_the_service(api, admin):
    status, body, _ = api.post(BASE, {"name": "Brie", "kind": "cheese", "skinTypes": ["dry"],
                                      "variants": [{"price": 900}]}, token=admin)
    assert_error(status, body, 422, "unknown_attribute")
    assert body["error"]["details"][0]["field"] == "skinTypes"
    status, body, _ = api.post(BASE, {"name": "Brie", "kind": "cheese", "attributes": {"nutritionalInfo":
                                      {"protein": 300}}, "variants": [{"price": 900}]}, token=admin)
    assert_error(status, body, 422, "invalid_attribute")
    assert body["error"]["details"][0]["field"] == "attributes.nutritionalInfo.protein"
    assert api.get(f"{BASE}?search=Brie")[1]["data"] == []


def test_customers_and_guests_cannot_create_or_feature(api, admin):
    customer = token_for(make_user())
    assert_error(*api.post(BASE, ROSES, token=customer)[:2], 403)
    assert_error(*api.post(BASE, ROSES)[:2], 401)
    product = _create(api, admin, {**ROSES, "isFeatured": False})
    assert_error(*api.put(f"{BASE}/{product['id']}", {"isFeatured": True}, token=customer)[:2], 403)


def test_featured_lists_active_featured_products_newest_first(api, admin):
    first = _create(api, admin, ROSES)
    second = _create(api, admin, {**ROSES, "name": "More Roses"})
    _create(api, admin, {**ROSES, "name": "Hidden Roses", "status": "draft"})
    _create(api, admin, {**ROSES, "name": "Plain Roses", "isFeatured": False})
    status, body, headers = api.get(f"{BASE}/featured")
    assert status == 200 and ProductListSchema().validate(body) == {}, body
    assert [p["id"] for p in body["data"]] == [second["id"], first["id"]]
    assert body["pagination"]["total"] == 2 and "ETag" in headers
    assert api.get(f"{BASE}/featured?fields=name&limit=1")[1]["data"] == [{"id": second["id"], "name": "More Roses"}]
    assert_error(*api.get(f"{BASE}/featured?fields=nope")[:2], 422)
    assert_error(*api.get(f"{BASE}/featured?limit=0")[:2], 422)


def test_popular_puts_products_sold_recently_first_and_lists_the_rest(api, app):
    quiet = make_product(name="Quiet", stock=10)
    seller = make_product(name="Seller", stock=10)
    newest = make_product(name="Newest", stock=10)
    status, body, _ = api.get(f"{BASE}/popular")
    assert status == 200 and ProductListSchema().validate(body) == {}
    assert [p["name"] for p in body["data"]] == ["Newest", "Seller", "Quiet"]  # no sales: newest first
    place_order(api, seller, quantity=2)
    place_order(api, quiet, quantity=1)
    status, body, _ = api.get(f"{BASE}/popular")
    assert [p["id"] for p in body["data"]] == [seller.id, quiet.id, newest.id]
    assert body["pagination"]["total"] == 3
    assert api.get(f"{BASE}/popular?limit=1&page=2")[1]["data"][0]["id"] == quiet.id
