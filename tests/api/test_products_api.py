"""The product API: public lists and details in seed 004's shape, admin-only writes,
stock updates, and bad inputs answered with the error envelope."""

import pytest

from models.catalog import Product
from services import catalog
from tests.factories import make_user, token_for
from web.products import ProductDetailSchema, ProductSchema

SERUM = {
    "name": "Skinior Vitamin C Serum", "description": "Premium vitamin C serum for glowing skin",
    "category": "serums", "tags": ["vitamin-c", "anti-aging"], "seoTitle": "Best Vitamin C Serum",
    "seoDescription": "Glowing skin", "vendor": "Skinior",
    "ingredients": ["Vitamin C", "Hyaluronic Acid"], "skinTypes": ["normal", "dry"],
    "concerns": ["dullness"], "howToUse": "Apply 2-3 drops every morning",
    "images": [{"url": "https://cdn.skinior.com/products/serum1.webp", "altText": "Serum bottle"}],
    "variants": [
        {"name": "30ml", "sku": "SV-C-30", "price": 2950, "compareAtPrice": 3500, "inventoryCount": 150,
         "weightGrams": 90},
        {"name": "50ml", "sku": "SV-C-50", "price": 4400, "inventoryCount": 0},
    ],
}


def create(name, price=1000, stock=5, category=None, **fields):
    sku = catalog.slugify(name).upper()
    return catalog.create_product({"name": name, "category": category, **fields, "variants": [
        {"name": "Default", "sku": sku, "price": price, "inventory_count": stock}]})


def assert_error(status, body, expected_status, code):
    assert status == expected_status, body
    assert body["error"]["code"] == code, body
    assert body["error"]["requestId"] and isinstance(body["error"]["details"], list)


def listed(api, query=""):
    status, body, _ = api.get(f"/api/v1/products{query}")
    assert status == 200, body
    return [p["name"] for p in body["data"]]


def test_admin_creates_a_product_in_seed_004_shape(api, admin_token):
    status, body, headers = api.post("/api/v1/products", SERUM, token=admin_token)
    assert status == 201, body
    product = body["data"]
    assert headers["Location"] == f"/api/v1/products/{product['id']}"
    assert product["id"].startswith("prod_") and product["handle"] == "skinior-vitamin-c-serum"
    assert (product["price"], product["compareAtPrice"], product["currency"]) == (2950, 3500, "USD")
    assert product["category"] == "serums" and product["status"] == "active"
    assert product["images"][0] | {"id": None} == {"id": None, "url": SERUM["images"][0]["url"],
                                                   "altText": "Serum bottle", "sortOrder": 1}
    first, second = product["variants"]
    assert first["id"].startswith("var_")
    assert {k: first[k] for k in ("name", "sku", "price", "compareAtPrice", "inventoryCount", "available",
                                  "weightGrams")} == {"name": "30ml", "sku": "SV-C-30", "price": 2950,
                                                      "compareAtPrice": 3500, "inventoryCount": 150,
                                                      "available": True, "weightGrams": 90}
    assert (second["inventoryCount"], second["available"]) == (0, False)
    assert product["ingredients"] == ["Vitamin C", "Hyaluronic Acid"] and product["howToUse"]
    assert product["reviews"] == {"averageRating": None, "totalReviews": 0, "distribution": {str(n): 0 for n in range(1, 6)}}
    assert ProductDetailSchema().validate(product) == {}  # the documented schema matches the JSON


def test_get_product_returns_details_by_id_and_by_handle(api, admin_token):
    _, created, _ = api.post("/api/v1/products", SERUM, token=admin_token)
    for key in (created["data"]["id"], "skinior-vitamin-c-serum"):
        status, body, _ = api.get(f"/api/v1/products/{key}")
        assert status == 200 and body["data"] == created["data"]


def test_get_unknown_product_is_a_404_envelope(api, db):
    status, body, _ = api.get("/api/v1/products/prod_doesnotexist")
    assert_error(status, body, 404, "RESOURCE_NOT_FOUND")


def test_list_products_returns_data_and_pagination(api, db):
    for i in range(3):
        create(f"Product {i}", price=1000 + i)
    status, body, _ = api.get("/api/v1/products?limit=2&sortBy=price")
    assert status == 200
    assert [p["price"] for p in body["data"]] == [1000, 1001]
    assert body["pagination"] == {"page": 1, "limit": 2, "total": 3, "totalPages": 2, "hasNext": True,
                                  "hasPrev": False}
    assert all(ProductSchema().validate(p) == {} for p in body["data"])
    assert "reviews" not in body["data"][0]  # details only on the single product


def test_list_products_filters_by_category(api, db):
    create("Serum", category="serums")
    create("Cleanser", category="cleansers")
    assert listed(api, "?category=serums") == ["Serum"]


def test_list_products_filters_by_price_search_and_stock(api, db):
    create("Cheap Mask", price=500, stock=0)
    create("Dear Serum", price=5000, stock=3)
    assert listed(api, "?minPrice=1000") == ["Dear Serum"]
    assert listed(api, "?maxPrice=1000") == ["Cheap Mask"]
    assert listed(api, "?search=mask") == ["Cheap Mask"]
    assert listed(api, "?inStock=true") == ["Dear Serum"]
    assert listed(api, "?inStock=false") == ["Cheap Mask"]


def test_list_products_sorts_by_name_and_created_at(api, db):
    for name in ("Beta", "alpha", "Gamma"):
        create(name)
    assert listed(api, "?sortBy=name") == ["alpha", "Beta", "Gamma"]
    assert listed(api, "?sortBy=name&sortOrder=desc") == ["Gamma", "Beta", "alpha"]
    assert listed(api, "?sortBy=created_at&sortOrder=asc") == ["Beta", "alpha", "Gamma"]
    assert listed(api, "?sortBy=createdAt") == ["Gamma", "alpha", "Beta"]


def test_fields_selects_top_level_fields(api, db):
    p = create("Serum")
    status, body, _ = api.get("/api/v1/products?fields=name,price")
    assert status == 200 and body["data"] == [{"id": p.id, "name": "Serum", "price": 1000}]
    status, body, _ = api.get(f"/api/v1/products/{p.id}?fields=reviews")
    assert body["data"] == {"id": p.id, "reviews": {"averageRating": None, "totalReviews": 0, "distribution": {str(n): 0 for n in range(1, 6)}}}
    status, body, _ = api.get("/api/v1/products?fields=name,secret")
    assert_error(status, body, 422, "VALIDATION_ERROR")


@pytest.mark.parametrize("query, field", [
    ("?limit=1000000", "limit"), ("?limit=0", "limit"), ("?page=0", "page"), ("?minPrice=abc", "minPrice"),
    ("?maxPrice=-1", "maxPrice"), ("?sortBy=popularity", "sortBy"), ("?sortOrder=up", "sortOrder"),
    ("?inStock=maybe", "inStock"), ("?minPrice=10&maxPrice=5", "minPrice"),
])
def test_bad_list_queries_are_422_envelopes(api, db, query, field):
    status, body, _ = api.get(f"/api/v1/products{query}")
    assert_error(status, body, 422, "VALIDATION_ERROR")
    assert any(d["field"] == field for d in body["error"]["details"]), body


def test_drafts_and_archived_products_are_hidden_from_the_public(api, db):
    draft = create("Draft", status="draft")
    staff = token_for(make_user(role="staff"))
    assert listed(api) == []
    status, body, _ = api.get(f"/api/v1/products/{draft.id}")
    assert_error(status, body, 404, "RESOURCE_NOT_FOUND")
    status, body, _ = api.get(f"/api/v1/products/{draft.id}", token=staff)
    assert status == 200 and body["data"]["status"] == "draft"
    status, body, _ = api.get("/api/v1/products?status=draft", token=staff)
    assert [p["name"] for p in body["data"]] == ["Draft"]
    status, body, _ = api.get("/api/v1/products?status=draft")
    assert_error(status, body, 403, "AUTHORIZATION_ERROR")


@pytest.mark.parametrize("method, suffix", [("post", ""), ("put", "/{id}"), ("delete", "/{id}"),
                                             ("put", "/{id}/stock")])
def test_writes_need_a_token(api, db, method, suffix):
    p = create("Serum")
    status, body, _ = getattr(api, method)("/api/v1/products" + suffix.format(id=p.id), **(
        {} if method == "delete" else {"json": {"name": ""}}))
    assert_error(status, body, 401, "AUTHENTICATION_ERROR")


@pytest.mark.parametrize("method, suffix", [("post", ""), ("put", "/{id}"), ("delete", "/{id}"),
                                             ("put", "/{id}/stock")])
def test_customers_cannot_write_products(api, db, method, suffix):
    p = create("Serum")
    token = token_for(make_user())
    kwargs = {"token": token} if method == "delete" else {"json": {"inventoryCount": 1}, "token": token}
    status, body, _ = getattr(api, method)("/api/v1/products" + suffix.format(id=p.id), **kwargs)
    assert_error(status, body, 403, "AUTHORIZATION_ERROR")


@pytest.mark.parametrize("variant", [
    {"price": -1}, {"price": 10**9 + 1}, {"price": 12.5}, {"price": "1000"}, {"price": True}, {"price": None},
    {"price": 100, "inventoryCount": -1}, {"price": 100, "compareAtPrice": -5}, {"price": 100, "colour": "red"},
])
def test_create_product_rejects_bad_variants(api, admin_token, variant):
    status, body, _ = api.post("/api/v1/products", {"name": "Bad", "variants": [variant]}, token=admin_token)
    assert_error(status, body, 422, "VALIDATION_ERROR")
    assert Product.select().count() == 0


def test_create_product_needs_a_name_and_a_variant(api, admin_token):
    status, body, _ = api.post("/api/v1/products", {"variants": []}, token=admin_token)
    assert_error(status, body, 422, "VALIDATION_ERROR")
    assert {d["field"] for d in body["error"]["details"]} >= {"name", "variants"}


def test_create_product_with_a_taken_sku_is_a_409_conflict(api, admin_token):
    create("Existing")
    body = {"name": "New", "variants": [{"sku": "EXISTING", "price": 100}]}
    status, body, _ = api.post("/api/v1/products", body, token=admin_token)
    assert_error(status, body, 409, "CONFLICT")
    assert body["error"]["reason"] == "duplicate_sku"


def test_update_product_changes_given_fields_only(api, admin_token):
    _, created, _ = api.post("/api/v1/products", SERUM, token=admin_token)
    product_id = created["data"]["id"]
    status, body, _ = api.put(f"/api/v1/products/{product_id}", {"name": "Vitamin C Serum 2.0",
                                                                  "tags": ["new"]}, token=admin_token)
    assert status == 200, body
    assert body["data"]["name"] == "Vitamin C Serum 2.0" and body["data"]["tags"] == ["new"]
    assert body["data"]["variants"] == created["data"]["variants"]
    assert body["data"]["category"] == "serums" and body["data"]["ingredients"] == SERUM["ingredients"]


def test_update_product_variants_by_sku_moves_the_product_price(api, admin_token):
    _, created, _ = api.post("/api/v1/products", SERUM, token=admin_token)
    product_id = created["data"]["id"]
    variants = [{"sku": "SV-C-30", "price": 3100}, {"sku": "SV-C-50", "price": 3000, "inventoryCount": 7}]
    status, body, _ = api.put(f"/api/v1/products/{product_id}", {"variants": variants}, token=admin_token)
    assert status == 200, body
    assert body["data"]["price"] == 3000
    assert [v["id"] for v in body["data"]["variants"]] == [v["id"] for v in created["data"]["variants"]]
    assert body["data"]["variants"][1]["inventoryCount"] == 7
    assert body["data"]["variants"][0]["inventoryCount"] == 150  # stock untouched when not given


def test_update_unknown_product_is_404(api, admin_token):
    status, body, _ = api.put("/api/v1/products/prod_nope", {"name": "X"}, token=admin_token)
    assert_error(status, body, 404, "RESOURCE_NOT_FOUND")


def test_delete_product_archives_it(api, admin_token):
    p = create("Serum")
    status, body, _ = api.delete(f"/api/v1/products/{p.id}", token=admin_token)
    assert status == 200 and "archived" in body["message"]
    assert Product.get_by_id(p.id).status == "archived"  # kept for the orders that reference it
    assert listed(api) == []
    status, body, _ = api.get(f"/api/v1/products/{p.id}")
    assert_error(status, body, 404, "RESOURCE_NOT_FOUND")


def test_stock_update_sets_the_only_variant_and_returns_the_product(api, db):
    p = create("Serum", stock=5)
    staff = token_for(make_user(role="staff"))
    status, body, _ = api.put(f"/api/v1/products/{p.id}/stock", {"inventoryCount": 42}, token=staff)
    assert status == 200, body
    assert body["data"]["id"] == p.id and body["data"]["variants"][0]["inventoryCount"] == 42


def test_stock_adjustment_changes_a_named_variant(api, admin_token):
    _, created, _ = api.post("/api/v1/products", SERUM, token=admin_token)
    product = created["data"]
    variant_id = product["variants"][1]["id"]
    status, body, _ = api.put(f"/api/v1/products/{product['id']}/stock",
                              {"variantId": variant_id, "adjustment": 12}, token=admin_token)
    assert status == 200 and body["data"]["variants"][1]["inventoryCount"] == 12
    status, body, _ = api.put(f"/api/v1/products/{product['id']}/stock",
                              {"variantId": variant_id, "adjustment": -13}, token=admin_token)
    assert_error(status, body, 409, "INVENTORY_ERROR")


@pytest.mark.parametrize("payload", [
    {}, {"inventoryCount": 1, "adjustment": 1}, {"inventoryCount": -1}, {"inventoryCount": "5"},
    {"adjustment": 1.5},
])
def test_bad_stock_updates_are_422(api, admin_token, payload):
    p = create("Serum")
    status, body, _ = api.put(f"/api/v1/products/{p.id}/stock", payload, token=admin_token)
    assert_error(status, body, 422, "VALIDATION_ERROR")


def test_stock_update_needs_a_variant_id_for_several_variants(api, admin_token):
    _, created, _ = api.post("/api/v1/products", SERUM, token=admin_token)
    status, body, _ = api.put(f"/api/v1/products/{created['data']['id']}/stock", {"inventoryCount": 3},
                              token=admin_token)
    assert_error(status, body, 422, "VALIDATION_ERROR")
    assert body["error"]["details"][0]["field"] == "variantId"


def test_product_routes_are_documented(api, db):
    status, spec, _ = api.get("/api/v1/openapi.json")
    assert status == 200
    paths = spec["paths"]
    for path, methods in {"/api/v1/products": ("get", "post"),
                          "/api/v1/products/{product_id}": ("get", "put", "delete"),
                          "/api/v1/products/{product_id}/stock": ("put",)}.items():
        for method in methods:
            assert paths[path][method]["summary"], (path, method)
    assert paths["/api/v1/products"]["post"]["security"] == [{"bearerAuth": []}]


def test_product_detail_summarises_its_reviews(api):
    from tests.factories import make_product, make_user, token_for
    from tests.factories.catalog import approve_review

    product = make_product(stock=5)
    for rating in (5, 4, 1):
        status, body, _ = api.post(f"/api/v1/products/{product.id}/reviews",
                                   {"rating": rating, "title": "Good", "body": "Nice"}, token=token_for(make_user()))
        assert status == 201, body
        if rating > 1:  # the 1-star review stays pending: not counted
            approve_review(body["data"]["id"])
    reviews = api.get(f"/api/v1/products/{product.id}")[1]["data"]["reviews"]
    assert reviews["averageRating"] == 4.5 and reviews["totalReviews"] == 2
    assert reviews["distribution"]["5"] == 1 and reviews["distribution"]["4"] == 1
