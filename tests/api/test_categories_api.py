"""The categories API: tree and flat lists, one category by slug or id with its ancestors,
a category's products (subcategories included, the product list's paging and filters), admin
writes refused to everyone else, products placed by categoryId, errors in the envelope, the
catalog cache invalidated by a category write, and category writes in the audit log."""

import pytest

from models.audit import AuditEntry
from models.catalog import Category, Product
from services import catalog
from tests.factories import assert_error, make_product, make_user, quick_user, token_for
from web.categories import CategoryDetailSchema, CategoryListSchema

BASE = "/api/v1/categories"


@pytest.fixture()
def tree(db):
    """Flowers > Bouquets > Roses, Flowers > Hidden (inactive), Cheese; a product in Roses and in Cheese."""
    flowers = catalog.create_category({"name": "Flowers", "sort_order": 2, "icon": "flower",
                                       "metadata": {"color": "#E91E63", "tags": ["gifts"]}})
    bouquets = catalog.create_category({"name": "Bouquets", "parent_id": flowers.id})
    roses = catalog.create_category({"name": "Roses", "parent_id": bouquets.id})
    hidden = catalog.create_category({"name": "Hidden", "parent_id": flowers.id, "is_active": False})
    cheese = catalog.create_category({"name": "Cheese", "sort_order": 1, "type": "going_out"})
    make_product(name="Red roses", price=3000, category=roses)
    make_product(name="Bouquet of one", price=500, category=bouquets)
    make_product(name="Secret", category=hidden)
    make_product(name="Brie", category=cheese)
    return {c.slug: c for c in (flowers, bouquets, roses, hidden, cheese)}


@pytest.fixture()
def admin(db):
    return token_for(make_user(role="admin"))


def test_the_tree_lists_active_categories_in_order_with_children_and_counts(api, tree):
    status, body, _ = api.get(BASE)
    assert status == 200 and CategoryListSchema().validate(body) == {}
    cheese, flowers = body["data"]
    assert (cheese["slug"], flowers["slug"]) == ("cheese", "flowers")  # sortOrder 1, 2
    assert [c["slug"] for c in flowers["children"]] == ["bouquets"]  # Hidden is inactive
    assert flowers["children"][0]["children"][0]["slug"] == "roses"
    assert (flowers["productCount"], flowers["children"][0]["productCount"], cheese["productCount"]) == (2, 2, 1)
    assert {k: flowers[k] for k in ("name", "icon", "image", "type", "parentId", "isActive", "sortOrder",
                                    "metadata")} == {
        "name": "Flowers", "icon": "flower", "image": None, "type": "home_delivery", "parentId": None,
        "isActive": True, "sortOrder": 2, "metadata": {"color": "#E91E63", "tags": ["gifts"]}}


def test_the_flat_view_and_the_type_filter(api, tree):
    status, body, _ = api.get(f"{BASE}?view=flat")
    assert status == 200 and CategoryListSchema().validate(body) == {}
    assert [(c["slug"], c["depth"]) for c in body["data"]] == [("cheese", 1), ("flowers", 1), ("bouquets", 2),
                                                                ("roses", 3)]
    assert all("children" not in c for c in body["data"])
    assert [c["slug"] for c in api.get(f"{BASE}?type=going_out")[1]["data"]] == ["cheese"]


def test_inactive_categories_are_for_staff_only(api, tree):
    status, body, _ = api.get(f"{BASE}?includeInactive=true&view=flat", token=token_for(make_user(role="staff")))
    assert status == 200 and "hidden" in [c["slug"] for c in body["data"]]
    for token in (None, token_for(quick_user())):
        assert_error(*api.get(f"{BASE}?includeInactive=true", token=token)[:2], 403, reason="insufficient_role")
    assert_error(*api.get(f"{BASE}/hidden")[:2], 404, reason="category_not_found")
    assert_error(*api.get(f"{BASE}/{tree['hidden'].id}/products")[:2], 404, reason="category_not_found")


def test_one_category_by_slug_or_id_with_its_children_and_ancestors(api, tree):
    status, body, _ = api.get(f"{BASE}/bouquets")
    assert status == 200 and CategoryDetailSchema().validate(body["data"]) == {}
    assert [a["slug"] for a in body["data"]["ancestors"]] == ["flowers"]
    assert [c["slug"] for c in body["data"]["children"]] == ["roses"]
    assert api.get(f"{BASE}/{tree['bouquets'].id}")[1] == body
    assert [a["slug"] for a in api.get(f"{BASE}/roses")[1]["data"]["ancestors"]] == ["flowers", "bouquets"]
    assert_error(*api.get(f"{BASE}/nothing-here")[:2], 404, reason="category_not_found")
    assert_error(*api.get(f"{BASE}/cat_doesnotexist")[:2], 404, reason="category_not_found")
    assert api.get(f"{BASE}/Not_A_Slug")[0] == 404  # neither a slug nor an id: no route


def test_a_categorys_products_include_its_descendants_with_the_lists_paging_and_filters(api, tree):
    url = f"{BASE}/{tree['flowers'].id}/products"
    status, body, _ = api.get(f"{url}?sortBy=price")
    assert status == 200 and [p["name"] for p in body["data"]] == ["Bouquet of one", "Red roses"]
    assert body["pagination"]["total"] == 2 and body["data"][1]["categoryId"] == tree["roses"].id
    status, body, _ = api.get(f"{url}?limit=1&page=2&sortBy=price")
    assert [p["name"] for p in body["data"]] == ["Red roses"] and body["pagination"]["hasPrev"] is True
    assert [p["name"] for p in api.get(f"{url}?minPrice=1000")[1]["data"]] == ["Red roses"]
    assert [p["name"] for p in api.get(f"{BASE}/{tree['roses'].id}/products")[1]["data"]] == ["Red roses"]
    assert api.get(f"{url}?category=cheese")[0] == 400  # the category is the path's
    assert_error(*api.get(f"{url}?status=draft")[:2], 403, reason="insufficient_role")


def test_admin_creates_updates_and_deletes_categories(api, tree, admin):
    status, body, headers = api.post(BASE, {"name": "Birthday Flowers", "parentId": tree["flowers"].id,
                                            "type": "my-shop-type", "image": "https://cdn.example.com/b.webp",
                                            "metadata": {"tags": ["birthday"]}}, token=admin)
    assert status == 201, body
    created = body["data"]
    assert created["slug"] == "birthday-flowers" and created["parentId"] == tree["flowers"].id
    assert headers["Location"] == f"{BASE}/{created['id']}" and created["ancestors"][0]["slug"] == "flowers"
    status, body, _ = api.put(f"{BASE}/{created['id']}", {"sortOrder": -1, "parentId": None, "icon": "cake"},
                              token=admin)
    assert status == 200 and (body["data"]["parentId"], body["data"]["sortOrder"], body["data"]["icon"]) == \
        (None, -1, "cake")
    assert body["data"]["name"] == "Birthday Flowers"  # partial
    assert api.get(BASE)[1]["data"][0]["slug"] == "birthday-flowers"  # sortOrder -1 comes first
    status, body, _ = api.delete(f"{BASE}/{tree['bouquets'].id}", token=admin)
    assert status == 200 and body["data"] == {"deletedIds": [tree["bouquets"].id, tree["roses"].id],
                                              "uncategorizedProducts": 2}
    assert Product.select().where(Product.category.is_null()).count() == 2
    assert_error(*api.delete(f"{BASE}/{tree['bouquets'].id}", token=admin)[:2], 404, reason="category_not_found")


def test_bad_category_writes_are_answered_in_the_envelope(api, tree, admin):
    assert_error(*api.post(BASE, {"name": "Again", "slug": "flowers"}, token=admin)[:2], 409,
                 reason="category_slug_taken")
    flowers, roses = tree["flowers"].id, tree["roses"].id
    assert_error(*api.put(f"{BASE}/{flowers}", {"parentId": roses}, token=admin)[:2], 422, reason="category_cycle")
    assert_error(*api.put(f"{BASE}/{flowers}", {"parentId": flowers}, token=admin)[:2], 422, reason="category_cycle")
    assert_error(*api.post(BASE, {"name": "X", "parentId": "cat_missing"}, token=admin)[:2], 422,
                 reason="unknown_parent")
    assert_error(*api.put(f"{BASE}/cat_missing", {"name": "X"}, token=admin)[:2], 404, reason="category_not_found")
    for bad in ({}, {"name": ""}, {"name": "X", "metadata": {"color": "red"}}, {"name": "X", "type": "Going Out"},
                {"name": "X", "metadata": {"tags": "a"}}, {"name": "X", "metadata": {"other": 1}},
                {"name": "X", "slug": "Not A Slug"}, {"name": "X", "image": "ftp://x"}, {"name": "X", "isActive": 1},
                {"name": "X", "parentId": "prod_1"}, {"name": "X", "sortOrder": "1"}):
        status, body, _ = api.post(BASE, bad, token=admin)
        assert_error(status, body, 422)
    deepest = tree["roses"]
    for level in range(4, catalog.MAX_DEPTH + 1):
        deepest = catalog.create_category({"name": f"Level {level}", "parent_id": deepest.id})
    assert_error(*api.post(BASE, {"name": "Too deep", "parentId": deepest.id}, token=admin)[:2], 422,
                 reason="category_too_deep")


@pytest.mark.parametrize("method, path, body", [
    ("POST", BASE, {"name": "New"}),
    ("PUT", "{base}/{id}", {"name": "Renamed"}),
    ("DELETE", "{base}/{id}", None),
])
def test_every_write_is_refused_to_guests_customers_and_staff_and_allowed_to_admins(api, tree, method, path, body):
    url = path.format(base=BASE, id=tree["cheese"].id)
    assert_error(*api.call(method, url, json=body)[:2], 401)
    for role in ("customer", "courier", "staff"):  # catalog:write is the admins' (services.customers.permissions)
        assert_error(*api.call(method, url, json=body, token=token_for(quick_user(role=role)))[:2], 403,
                     reason="insufficient_role")
    status, answer, _ = api.call(method, url, json=body, token=token_for(make_user(role="admin")))
    assert status in (200, 201), answer


def test_products_are_placed_by_category_id(api, tree, admin):
    variant = [{"name": "Default", "price": 1200}]
    status, body, _ = api.post("/api/v1/products", {"name": "Tulips", "categoryId": tree["bouquets"].id,
                                                    "variants": variant}, token=admin)
    assert status == 201, body
    assert (body["data"]["categoryId"], body["data"]["category"]) == (tree["bouquets"].id, "bouquets")
    product_id = body["data"]["id"]
    status, body, _ = api.put(f"/api/v1/products/{product_id}", {"categoryId": tree["cheese"].id}, token=admin)
    assert status == 200 and body["data"]["category"] == "cheese"
    status, body, _ = api.put(f"/api/v1/products/{product_id}", {"category": "serums"}, token=admin)
    assert status == 200 and body["data"]["categoryId"] == Category.get(Category.slug == "serums").id
    assert_error(*api.put(f"/api/v1/products/{product_id}", {"categoryId": "cat_missing"}, token=admin)[:2], 422,
                 reason="unknown_category_id")
    assert_error(*api.put(f"/api/v1/products/{product_id}", {"categoryId": tree["cheese"].id, "category": "cheese"},
                          token=admin)[:2], 422)
    assert_error(*api.post("/api/v1/products", {"name": "X", "categoryId": "nope", "variants": variant},
                           token=admin)[:2], 422)


def test_a_category_write_invalidates_the_cached_product_list_and_tree(api, tree, admin, cached):
    assert api.get("/api/v1/products?category=cheese")[2]["X-Cache"] == "miss"
    assert api.get(BASE)[2]["X-Cache"] == "miss"
    assert api.get(BASE)[2]["X-Cache"] == "hit"
    assert api.get("/api/v1/products")[2]["X-Cache"] == "miss"
    status, body, headers = api.get("/api/v1/products")
    assert headers["X-Cache"] == "hit" and "cheese" in [p["category"] for p in body["data"]]
    status, _, _ = api.put(f"{BASE}/{tree['cheese'].id}", {"slug": "fromage"}, token=admin)
    assert status == 200
    status, body, headers = api.get("/api/v1/products")
    assert headers["X-Cache"] == "miss" and "fromage" in [p["category"] for p in body["data"]]
    status, body, headers = api.get(BASE)
    assert headers["X-Cache"] == "miss" and "fromage" in [c["slug"] for c in body["data"]]


def test_category_writes_are_audited_with_before_and_after(api, tree):
    admin = make_user(role="admin")
    status, _, _ = api.put(f"{BASE}/{tree['cheese'].id}", {"name": "Fromages"}, token=token_for(admin))
    assert status == 200
    entry = AuditEntry.get(AuditEntry.target_id == tree["cheese"].id)
    assert entry.action == "PUT /api/v1/categories/<id(cat):category_id>" and entry.target_type == "category"
    assert entry.before["name"] == "Cheese" and entry.after["name"] == "Fromages"
    status, body, _ = api.post(BASE, {"name": "Wine"}, token=token_for(admin))
    created = AuditEntry.get(AuditEntry.target_id == body["data"]["id"])
    assert created.actor_id == admin.id and created.after["slug"] == "wine"
