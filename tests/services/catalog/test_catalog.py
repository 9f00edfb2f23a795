"""The catalog service: writes keep the price mirror and SKU uniqueness, lists filter,
sort and paginate in a constant number of queries."""

import logging
from contextlib import contextmanager

import pytest

from models.catalog import Category, InventoryLevel, Product, Variant
from services import catalog
from services.errors import Conflict, InsufficientStock, NotFound, ValidationFailed


def product(name, prices=(1000,), stock=10, category=None, **fields):
    """A product with one variant per price (SKUs derived from the name)."""
    base = catalog.slugify(name).upper()
    variants = [{"name": f"V{i}", "sku": f"{base}-{i}", "price": p, "inventory_count": stock}
                for i, p in enumerate(prices)]
    return catalog.create_product({"name": name, "category": category, "variants": variants, **fields})


@contextmanager
def counting_queries():
    """Yields a list that collects the SQL statements peewee runs inside the block."""
    statements = []

    class Collector(logging.Handler):
        def emit(self, record):
            statements.append(record.getMessage())

    logger = logging.getLogger("peewee")
    handler, level = Collector(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def names(views):
    return [v.product.name for v in views]


def test_create_product_mirrors_the_cheapest_variant_price(db):
    p = catalog.create_product({"name": "Serum", "variants": [
        {"name": "50ml", "price": 4500}, {"name": "30ml", "price": 2950, "compare_at_price": 3500}]})
    assert (p.price, p.compare_at_price, p.handle) == (2950, 3500, "serum")


def test_update_product_refreshes_the_price_mirror(db):
    p = product("Serum", prices=(2950, 4500))
    v = catalog.product_view(p).variants[1]
    catalog.update_product(p.id, {"variants": [{"id": v.id, "price": 1000}]})
    assert Product.get_by_id(p.id).price == 1000
    assert Variant.select().where(Variant.product == p.id).count() == 1  # the list is the complete set


def test_update_product_keeps_variant_ids_matched_by_sku(db):
    p = product("Cream", prices=(1000, 2000))
    before = {v.sku: v.id for v in catalog.product_view(p).variants}
    catalog.update_product(p.id, {"variants": [{"sku": "CREAM-1", "price": 2100}, {"sku": "CREAM-0", "price": 900}]})
    after = catalog.product_view(catalog.get_product(p.id))
    assert {v.sku: v.id for v in after.variants} == before
    assert [v.sku for v in after.variants] == ["CREAM-1", "CREAM-0"]  # positions follow the list


def test_update_product_leaves_fields_that_are_not_given(db):
    p = product("Toner", category="toners", tags=["a"], vendor="Skinior")
    catalog.update_product(p.id, {"name": "Rose Toner"})
    view = catalog.product_view(catalog.get_product(p.id))
    assert (view.product.name, view.category, view.product.tags, view.product.vendor) == \
        ("Rose Toner", "toners", ["a"], "Skinior")


def test_create_product_creates_the_category_once(db):
    product("A", category="serums")
    product("B", category="serums")
    assert Category.select().where(Category.slug == "serums").count() == 1


def test_create_product_rejects_a_sku_used_by_another_product(db):
    product("First", prices=(100,))
    with pytest.raises(Conflict) as err:
        catalog.create_product({"name": "Second", "variants": [{"sku": "FIRST-0", "price": 100}]})
    assert err.value.reason == "duplicate_sku" and err.value.status == 409
    assert Product.select().count() == 1  # nothing half-written


def test_create_product_rejects_the_same_sku_twice_in_one_request(db):
    with pytest.raises(ValidationFailed) as err:
        catalog.create_product({"name": "X", "variants": [{"sku": "S", "price": 1, "name": "a"},
                                                          {"sku": "S", "price": 2, "name": "b"}]})
    assert err.value.reason == "duplicate_sku"


def test_create_product_rejects_variants_with_different_option_names(db):
    with pytest.raises(ValidationFailed) as err:
        catalog.create_product({"name": "X", "variants": [
            {"price": 1, "options": [{"name": "Size", "value": "S"}]},
            {"price": 2, "options": [{"name": "Color", "value": "Red"}]}]})
    assert err.value.reason == "inconsistent_options"


def test_create_product_gives_a_taken_name_a_numbered_handle(db):
    assert product("Face Mask").handle == "face-mask"
    assert catalog.create_product({"name": "Face Mask", "variants": [{"price": 5}]}).handle == "face-mask-2"


def test_a_product_named_like_a_fixed_path_gets_a_handle_that_is_not_one(db):
    assert catalog.create_product({"name": "Search", "variants": [{"price": 5}]}).handle == "search-2"
    with pytest.raises(ValidationFailed) as err:
        catalog.create_product({"name": "Featured", "handle": "Featured", "variants": [{"price": 5}]})
    assert err.value.reason == "reserved_handle"


def test_explicit_handle_clash_is_a_conflict(db):
    product("Face Mask")
    with pytest.raises(Conflict) as err:
        catalog.create_product({"name": "Other", "handle": "face-mask", "variants": [{"price": 5}]})
    assert err.value.reason == "handle_taken"


def test_list_products_filters_by_category(db):
    product("Serum", category="serums")
    product("Cleanser", category="cleansers")
    views, total = catalog.list_products(category="serums")
    assert names(views) == ["Serum"] and total == 1


def test_list_products_filters_by_price_range_in_minor_units(db):
    for name, price in (("Cheap", 500), ("Mid", 1500), ("Dear", 5000)):
        product(name, prices=(price,))
    views, _ = catalog.list_products(min_price=1000, max_price=5000, sort_by="price")
    assert names(views) == ["Mid", "Dear"]


def test_list_products_searches_name_vendor_tags_and_sku(db):
    product("Vitamin C Serum", vendor="Skinior")
    product("Night Cream", tags=["retinol"])
    assert names(catalog.list_products(search="vitamin")[0]) == ["Vitamin C Serum"]
    assert names(catalog.list_products(search="SKINIOR")[0]) == ["Vitamin C Serum"]
    assert names(catalog.list_products(search="retinol")[0]) == ["Night Cream"]
    assert names(catalog.list_products(search="NIGHT-CREAM-0")[0]) == ["Night Cream"]
    assert catalog.list_products(search="100%")[1] == 0  # wildcards are literal


def test_list_products_filters_in_stock_and_out_of_stock(db):
    product("Stocked", stock=3)
    product("Sold Out", stock=0)
    assert names(catalog.list_products(in_stock=True)[0]) == ["Stocked"]
    assert names(catalog.list_products(in_stock=False)[0]) == ["Sold Out"]


def test_list_products_sorts_by_price_name_and_creation(db):
    product("b", prices=(300,))
    product("C", prices=(100,))
    product("a", prices=(200,))
    assert names(catalog.list_products(sort_by="price")[0]) == ["C", "a", "b"]
    assert names(catalog.list_products(sort_by="price", sort_order="desc")[0]) == ["b", "a", "C"]
    assert names(catalog.list_products(sort_by="name")[0]) == ["a", "b", "C"]  # case-insensitive
    assert names(catalog.list_products()[0]) == ["a", "C", "b"]  # newest first by default
    assert names(catalog.list_products(sort_by="created_at", sort_order="asc")[0]) == ["b", "C", "a"]


def test_list_products_paginates_without_overlap(db):
    for i in range(5):
        product(f"P{i}", prices=(1000,))  # equal prices: ties break on id
    pages = [catalog.list_products(sort_by="price", page=n, limit=2) for n in (1, 2, 3)]
    assert [total for _, total in pages] == [5, 5, 5]
    seen = [v.product.id for views, _ in pages for v in views]
    assert len(seen) == 5 and len(set(seen)) == 5


def test_list_products_hides_drafts_and_archived_from_the_public(db):
    product("Live")
    product("Draft", status="draft")
    catalog.archive_product(product("Gone").id)
    assert names(catalog.list_products()[0]) == ["Live"]
    assert sorted(names(catalog.list_products(include_inactive=True)[0])) == ["Draft", "Live"]
    assert names(catalog.list_products(include_inactive=True, status="archived")[0]) == ["Gone"]


def test_list_products_costs_a_constant_number_of_queries(db):
    for i in range(30):
        product(f"P{i}", prices=(100 + i, 200 + i, 300 + i), category="serums",
                images=[{"url": f"https://img.test/{i}.jpg"}])
    catalog.list_products(limit=1)  # warm up
    with counting_queries() as small:
        catalog.list_products(page=2, limit=2)
    with counting_queries() as large:
        views, total = catalog.list_products(page=1, limit=25)
    assert len(small) == len(large) <= 4  # page, count, variants+stock, images
    assert total == 30 and all(len(v.variants) == 3 and len(v.images) == 1 for v in views)
    assert all(v.category == "serums" for v in views)


def test_get_product_finds_by_id_or_handle_and_hides_archived(db):
    p = product("Mask")
    assert catalog.get_product(p.id).id == p.id
    assert catalog.get_product("mask").id == p.id
    catalog.archive_product(p.id)
    with pytest.raises(NotFound):
        catalog.get_product(p.id)
    assert catalog.get_product(p.id, include_inactive=True).status == "archived"
    with pytest.raises(NotFound):
        catalog.get_product("prod_doesnotexist")


def test_set_product_stock_sets_and_adjusts_the_only_variant(db):
    p = product("Mask", stock=5)
    catalog.set_product_stock(p.id, inventory_count=12)
    assert catalog.product_view(p).stock.popitem()[1] == 12
    catalog.set_product_stock(p.id, adjustment=-2)
    assert InventoryLevel.get().quantity == 10


def test_set_product_stock_never_goes_below_zero(db):
    p = product("Mask", stock=1)
    with pytest.raises(InsufficientStock):
        catalog.set_product_stock(p.id, adjustment=-2)
    assert InventoryLevel.get().quantity == 1


def test_set_product_stock_needs_a_variant_id_when_there_are_several(db):
    p = product("Mask", prices=(1, 2))
    with pytest.raises(ValidationFailed) as err:
        catalog.set_product_stock(p.id, inventory_count=3)
    assert err.value.reason == "variant_required"
    other = product("Other")
    with pytest.raises(NotFound):
        catalog.set_product_stock(p.id, variant_id=catalog.product_view(other).variants[0].id, inventory_count=3)


def test_slugify_makes_ascii_handles():
    assert catalog.slugify("Crème Brûlée 30ml!") == "creme-brulee-30ml"
    assert catalog.slugify("  --  ") == ""


def test_seed_demo_if_empty_creates_three_shops_and_queues_the_csv_imports(db):
    from models.catalog import Store
    from models.jobs import Job
    from models.users import User
    from services import demo

    job_ids = demo.seed_demo_if_empty()
    assert len(job_ids) == 3
    seed_shops = {"amour-florals", "fromagerie-alioui", "skinior", "cartwheel-demo"}
    lisbon = Store.select().where(Store.city == "Lisboa")  # services.demo.stores (seed 002)
    assert {s.slug for s in Store.select()} == seed_shops | {s.slug for s in lisbon} and lisbon.count() == 10
    assert Product.select().count() == 18 + Product.select().where(Product.store.in_(lisbon)).count() == 18 + 13
    assert sum(s.is_partner for s in lisbon) == 4 and all(s.latitude and s.delivery_radius_km for s in lisbon)
    assert User.get(User.email == "admin@cartwheel.test").role == "admin"
    jobs = list(Job.select().where(Job.id.in_(job_ids)))
    assert {(j.type, j.state, j.dispatched_at) for j in jobs} == {("product_import", "queued", None)}
    serum = catalog.product_view(catalog.get_product("skinior-vitamin-c-serum"))
    assert (serum.product.price, serum.product.compare_at_price, serum.category) == (2950, 3500, "serums")
    assert serum.stock[serum.variants[0].id] == 150 + 40  # default warehouse + the Amman hub
    from models.catalog import Warehouse

    assert [w.code for w in Warehouse.select().order_by(Warehouse.code)] == ["amman-hub", "default", "lyon-cave"]
    assert catalog.stock_levels([serum.variants[0].id], warehouse_id=Warehouse.get(code="amman-hub").id) == {
        serum.variants[0].id: 40}
    from models.reviews import Review, ReviewMedia

    assert {r.status for r in Review.select()} == {"approved"} and Review.select().count() == 6
    photos = list(ReviewMedia.select())
    assert len(photos) == 4 and {p.kind for p in photos} == {"image"}
    from PIL import Image

    for photo in photos:  # re-encoded images on disk
        with Image.open(catalog.review_media_dir(photo.review_id) / photo.filename) as image:
            assert image.size[0] > 0 and photo.content_type == Image.MIME[image.format]
    roses = catalog.get_product("classic-red-roses-bouquet")
    summary = catalog.rating_summaries([roses.id])[roses.id]
    assert (summary["totalReviews"], summary["averageRating"]) == (1, 5.0)
    from models.carts import DiscountCode

    codes = {c.code: c for c in DiscountCode.select()}
    assert sorted(codes) == ["CHEESE5", "FREESHIP", "WELCOME10"]
    assert (codes["CHEESE5"].kind, codes["CHEESE5"].value) == ("fixed_amount", 500)  # 5.00 in minor units
    assert codes["FREESHIP"].minimum_amount == 5000 and codes["WELCOME10"].per_customer_limit == 1
    assert codes["CHEESE5"].category_ids == [catalog.get_category("cheese").node.category.id]
    from models.banners import Banner

    banners = list(Banner.select().order_by(Banner.position))
    assert [b.link_type for b in banners] == ["category", "category", "category", "url"]
    assert banners[1].link == catalog.get_category("cheese").node.category.id
    assert demo.seed_demo_if_empty() == []  # idempotent
    assert Job.select().where(Job.type == "product_import").count() == 3 and Banner.select().count() == 4
