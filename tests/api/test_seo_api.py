"""SEO (issue 9): slugs on demand, old product handles and category slugs redirecting, automatic
SEO titles and descriptions, and the sitemap built by a job and served with validators."""

import xml.etree.ElementTree as ET

import pytest

from models.catalog import Category, Store
from models.jobs import Job
from models.seo import SitemapDocument
from services import catalog
from services.catalog import sitemap
from tests.factories import assert_error, make_product, make_user, token_for

SLUG = "/api/v1/seo/slug"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture()
def staff(db):
    return token_for(make_user(role="admin"))


@pytest.fixture()
def admin(db):
    return token_for(make_user(role="admin"))


def test_a_slug_is_suggested_free_of_taken_handles_and_reserved_words(api, staff):
    make_product(name="Red Roses", handle="red-roses")
    status, body, _ = api.post(SLUG, {"text": "Red Roses!"}, token=staff)
    assert status == 200 and body["data"] == {"slug": "red-roses-2", "base": "red-roses", "available": False}
    assert api.post(SLUG, {"text": "Crème Brûlée"}, token=staff)[1]["data"] == {
        "slug": "creme-brulee", "base": "creme-brulee", "available": True}
    assert api.post(SLUG, {"text": "Search"}, token=staff)[1]["data"]["slug"] == "search-2"  # a fixed route
    assert api.post(SLUG, {"text": "Search", "type": "category"}, token=staff)[1]["data"]["slug"] == "search"


def test_a_product_being_renamed_keeps_its_own_slug(api, staff):
    product = make_product(name="Brie", handle="brie")
    body = api.post(SLUG, {"text": "Brie", "excludeId": product.id}, token=staff)[1]
    assert body["data"] == {"slug": "brie", "base": "brie", "available": True}


def test_slug_requests_are_validated_and_admin_only(api, staff):
    assert_error(*api.post(SLUG, {"text": "!!!"}, token=staff)[:2], 422, reason="invalid_slug_text")
    assert_error(*api.post(SLUG, {"text": "x", "type": "recipe"}, token=staff)[:2], 422)
    assert_error(*api.post(SLUG, {}, token=staff)[:2], 422)
    assert api.post(SLUG, {"text": "x"})[0] == 401
    assert api.post(SLUG, {"text": "x"}, token=token_for(make_user()))[0] == 403
    assert api.post(SLUG, {"text": "x"}, token=token_for(make_user(role="staff")))[0] == 403


def test_an_old_product_handle_redirects_to_the_current_one(api, admin):
    product = make_product(name="Tulips", handle="tulips")
    assert api.put(f"/api/v1/products/{product.id}", {"handle": "spring-tulips"}, token=admin)[0] == 200
    assert api.put(f"/api/v1/products/{product.id}", {"handle": "tulip-bunch"}, token=admin)[0] == 200
    for old in ("tulips", "spring-tulips"):
        status, _, headers = api.get(f"/api/v1/products/{old}?fields=name")
        assert status == 301 and headers["Location"] == "/api/v1/products/tulip-bunch?fields=name"
    assert api.get("/api/v1/products/tulip-bunch")[1]["data"]["id"] == product.id
    assert_error(*api.get("/api/v1/products/never-was")[:2], 404, reason="product_not_found")


def test_a_new_product_may_take_an_old_handle_and_then_it_wins(api, admin):
    first = make_product(name="Lilies", handle="lilies")
    api.put(f"/api/v1/products/{first.id}", {"handle": "white-lilies"}, token=admin)
    second = make_product(name="Lilies", handle="lilies")
    status, body, _ = api.get("/api/v1/products/lilies")
    assert status == 200 and body["data"]["id"] == second.id


def test_an_archived_products_old_handle_does_not_redirect(api, admin):
    product = make_product(name="Gone", handle="gone")
    api.put(f"/api/v1/products/{product.id}", {"handle": "gone-now"}, token=admin)
    api.delete(f"/api/v1/products/{product.id}", token=admin)
    assert api.get("/api/v1/products/gone")[0] == 404


def test_an_old_category_slug_redirects(api, admin):
    category = catalog.create_category({"name": "Cheese"})
    assert api.put(f"/api/v1/categories/{category.id}", {"slug": "cheeses"}, token=admin)[0] == 200
    status, _, headers = api.get("/api/v1/categories/cheese")
    assert status == 301 and headers["Location"] == "/api/v1/categories/cheeses"
    assert api.get("/api/v1/categories/cheeses")[0] == 200


def test_seo_fields_default_to_the_name_and_plain_description(api):
    long_text = "<p>Hand-tied <strong>roses</strong> &amp; peonies, " + "fresh from the market " * 12 + "</p>"
    product = make_product(name="Garden Bouquet", description=long_text)
    own = make_product(name="Own", seo_title="My title", seo_description="My description")
    data = api.get(f"/api/v1/products/{product.id}")[1]["data"]
    assert data["seoTitle"] == "Garden Bouquet"
    assert data["seoDescription"].startswith("Hand-tied roses & peonies, fresh from the market")
    assert len(data["seoDescription"]) <= 160 and data["seoDescription"].endswith("…")
    assert "<" not in data["seoDescription"]
    mine = api.get(f"/api/v1/products/{own.id}")[1]["data"]
    assert (mine["seoTitle"], mine["seoDescription"]) == ("My title", "My description")
    bare = make_product(name="Bare", description="")
    assert api.get(f"/api/v1/products/{bare.id}")[1]["data"]["seoDescription"] == "Bare"


def test_shorten_cuts_on_a_word_boundary():
    assert catalog.seo_title("a" * 80) == "a" * 69 + "…"
    assert catalog.seo_description("one two three", fallback="x") == "one two three"
    from services.catalog.seo import shorten
    assert shorten("alpha beta gamma", 12) == "alpha beta…"
    assert shorten("  alpha   beta ", 20) == "alpha beta"


def test_sitemap_is_queued_when_missing_then_served_with_validators(api, admin, settings):
    make_product(name="Peonies", handle="peonies")
    make_product(name="Draft", handle="draft-one", status="draft")
    catalog.create_category({"name": "Flowers"})
    Store.create(name="Amour", slug="amour")
    empty = api.client.get("/sitemap.xml")  # nothing built yet: an empty index, and a build is queued
    assert empty.status_code == 200 and empty.headers["Retry-After"] == "5"
    assert ET.fromstring(empty.data).findall("s:sitemap", NS) == []
    assert Job.select().where(Job.type == "sitemap_build").count() == 1
    job = api.wait_job(api.post("/api/v1/admin/sitemap", token=admin)[1]["data"]["id"], token=admin)
    assert job["state"] == "succeeded", job
    assert job["result"]["urls"] == {"products": 1, "categories": 1, "stores": 1}

    response = api.client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    index = ET.fromstring(response.data)
    base = settings.storefront_url.rstrip("/")
    parts = [loc.text for loc in index.findall("s:sitemap/s:loc", NS)]
    assert parts == [f"{base}/sitemap-products-1.xml", f"{base}/sitemap-categories-1.xml",
                     f"{base}/sitemap-stores-1.xml"]
    again = api.client.get("/sitemap.xml", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    products = ET.fromstring(api.client.get("/sitemap-products-1.xml").data)
    assert [u.find("s:loc", NS).text for u in products.findall("s:url", NS)] == [f"{base}/products/peonies"]
    assert products.find("s:url/s:lastmod", NS).text.endswith("+00:00")
    assert_error(*api.get("/sitemap-products-2.xml")[:2], 404, reason="sitemap_not_found")


def test_a_sitemap_part_holds_at_most_the_limit_and_a_rebuild_replaces_everything(db):
    for n in range(5):
        make_product(name=f"P{n}", handle=f"p-{n}")
    catalog.create_category({"name": "Flowers"})
    result = sitemap.build_sitemap(max_urls=2)
    assert result["urls"] == {"products": 5, "categories": 1, "stores": 0}
    assert result["documents"] == 5  # 3 product parts, 1 category part (kinds with no page have none), the index
    assert SitemapDocument.get_by_id("sitemap-products-3.xml").content.count("<url>") == 1
    Category.delete().execute()
    sitemap.build_sitemap()
    assert {d.name for d in SitemapDocument.select()} == {"sitemap.xml", "sitemap-products-1.xml"}
    assert "sitemap-categories-1.xml" not in SitemapDocument.get_by_id("sitemap.xml").content


def test_sitemap_build_honours_the_idempotency_key(api, admin):
    first = api.post("/api/v1/admin/sitemap", token=admin, headers={"Idempotency-Key": "sitemap-1"})
    again = api.post("/api/v1/admin/sitemap", token=admin, headers={"Idempotency-Key": "sitemap-1"})
    assert first[0] in (200, 202) and again[1]["data"]["id"] == first[1]["data"]["id"]
    assert again[2].get("Idempotent-Replayed") == "true"
    assert_error(*api.post("/api/v1/admin/sitemap", token=admin, headers={"Idempotency-Key": "k" * 300})[:2], 422)


def test_sitemap_build_is_admin_only(api):
    assert api.post("/api/v1/admin/sitemap")[0] == 401
    assert api.post("/api/v1/admin/sitemap", token=token_for(make_user()))[0] == 403
    assert api.post("/api/v1/admin/sitemap", token=token_for(make_user(role="staff")))[0] == 403
