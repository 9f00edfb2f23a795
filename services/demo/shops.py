"""The demo catalog for a fresh install: an admin, the category tree (`categories`), three
shops from the seeds, and a fourth store fed the sample Shopify CSVs through the real import job.

`data/demo/shops.json` holds Amour Florals (seed 001), Fromagerie Alioui (003)
and Skinior (004), two warehouses besides the default one (an Amman hub serving the
Middle East, a Lyon cheese cave serving France and its neighbours), three promotion codes
(WELCOME10, FREESHIP, CHEESE5), approved customer reviews with photos (services.demo.reviews),
four shoppable videos (services.demo.videos) and the cheese shop's recipes (services.demo.recipes:
`data/demo/recipes.json`), with prices as decimal strings in major units (converted to minor
units of the configured currency); `data/shopify/*.csv` are Shopify's
public sample exports.
"""

from __future__ import annotations

import json

import peewee

import config
from models.catalog import Product, Store, Variant
from models.db import atomic
from services import catalog, customers, orders
from services.demo.banners import seed_banners
from services.demo.categories import seed_categories
from services.demo.recipes import seed_recipes
from services.demo.reviews import seed_reviews
from services.demo.videos import seed_videos
from services.demo.stores import seed_stores
from services.demo.wallet import seed_wallets
from services.platform import jobs

DATA_DIR = config.ROOT / "data"
DEMO_FILE = DATA_DIR / "demo" / "shops.json"
REVIEW_PHOTOS_DIR = DATA_DIR / "demo" / "review-photos"
RECIPES_FILE = DATA_DIR / "demo" / "recipes.json"
SHOPIFY_DIR = DATA_DIR / "shopify"
IMPORT_STORE = {"name": "Cartwheel Demo", "slug": "cartwheel-demo",
                "description": "Shopify's sample catalogs (apparel, home and garden, jewellery), imported from CSV."}


def seed_demo_if_empty(admin_email: str = "admin@cartwheel.test", admin_password: str = "cartwheel-demo-shop") -> list[str]:
    """Seed the demo catalog when there are no products; returns the import job ids created.

    The jobs are committed `queued` and undispatched: the caller dispatches them
    (or the outbox relay sends them). A second call, or a call racing another
    process, does nothing and returns [].
    """
    if Product.select().exists():
        return []
    try:
        with atomic():
            if Product.select().exists() or Store.select().where(Store.slug == IMPORT_STORE["slug"]).exists():
                return []
            admin = customers.ensure_admin(admin_email, admin_password)
            seed_categories()  # before the products, which name its leaves by slug
            exponent = config.get().currency_exponent
            demo = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
            for shop in demo["stores"]:
                store = _store(shop)
                for product in shop["products"]:
                    catalog.create_product(_product_data(product, store.id, exponent,
                                                         shop.get("productCustomizations", [])))
            for spec in demo.get("warehouses", []):
                _warehouse(spec, admin.id)
            for spec in demo.get("promotions", []):
                _promotion(spec, exponent, admin)
            seed_reviews(admin, demo.get("reviewers", []), demo.get("reviews", []), REVIEW_PHOTOS_DIR)
            seed_banners(admin.id)
            seed_recipes(admin, RECIPES_FILE)
            seed_videos(admin)
            seed_stores(_product_data)  # the Lisbon stores of seed 002 (services.demo.stores)
            seed_wallets(admin, [r["email"] for r in demo.get("reviewers", [])])
            return _queue_imports(_store(IMPORT_STORE).id, admin.id)
    except peewee.IntegrityError:  # another process seeded first (unique store slug)
        return []


def _store(spec: dict) -> Store:
    return Store.create(name=spec["name"], slug=spec["slug"], description=spec.get("description", ""))


def _product_data(spec: dict, store_id: str, exponent: int, customizations: list) -> dict:
    """A demo product (camelCase JSON, major-unit prices; a variant `soldBy` weight has its price per
    kilogram and its `stock` in grams, services.catalog.weights) in the catalog's write shape; `kind`
    (default general), `isFeatured` and the typed `attributes` of that kind pass through
    (services.catalog.product_attributes validates them). Its `customizations` (else the store's
    `productCustomizations`) get their prices in minor units (services.catalog.customizations
    validates them)."""
    return {
        "name": spec["name"], "handle": spec["handle"], "category": spec.get("category"),
        "tags": spec.get("tags", []), "description": spec.get("description", ""),
        "vendor": spec.get("vendor", ""), "seo_title": spec.get("seoTitle", ""),
        "seo_description": spec.get("seoDescription", ""), "attributes": spec.get("attributes", {}),
        "kind": spec.get("kind", "general"), "is_featured": spec.get("isFeatured", False),
        "customizations": [_priced(c, exponent) for c in spec.get("customizations", customizations)],
        "store_id": store_id, "status": "active",
        "images": [{"url": i["url"], "alt_text": i.get("altText", ""), "sort_order": n}
                   for n, i in enumerate(spec.get("images", []), start=1)],
        "variants": [{"name": v["name"], "sku": v["sku"], "price": catalog.parse_money(v["price"], exponent),
                      "compare_at_price": catalog.parse_money(v.get("compareAtPrice", ""), exponent),
                      "inventory_count": v["stock"], "weight_grams": v.get("weightGrams"),
                      "sold_by": v.get("soldBy", "unit"), "weight_step_grams": v.get("weightStepGrams"),
                      "min_weight_grams": v.get("minWeightGrams"), "options": v.get("options", [])}
                     for v in spec["variants"]],
    }


def _warehouse(spec: dict, admin_id: str) -> None:
    """A demo warehouse (camelCase JSON) and its `stock` ({SKU: units}) recorded as restocks."""
    wh = catalog.create_warehouse({
        "code": spec["code"], "name": spec["name"], "regions": spec["regions"], "priority": spec.get("priority", 100),
        "address": spec.get("address", {}), "latitude": spec.get("location", {}).get("lat"),
        "longitude": spec.get("location", {}).get("lng"), "shipping_estimates": spec.get("shippingEstimates", {})})
    variants = dict(Variant.select(Variant.sku, Variant.id).where(Variant.sku.in_(list(spec.get("stock", {})))).tuples())
    for sku, units in sorted(spec.get("stock", {}).items()):
        catalog.restock(variants[sku], units, warehouse_id=wh.id, actor_id=admin_id, note="demo stock")


def _promotion(spec: dict, exponent: int, admin) -> None:
    """A demo promotion code; money (`value` of a fixed amount, `minOrderAmount`) in major units,
    `categories` by slug."""
    fixed = spec["type"] == "fixed_amount"
    orders.create_promo({
        "code": spec["code"], "kind": spec["type"], "description": spec.get("description", ""),
        "value": catalog.parse_money(spec["value"], exponent) if fixed else spec["value"],
        "minimum_amount": catalog.parse_money(spec.get("minOrderAmount", "0"), exponent) or 0,
        "per_customer_limit": spec.get("perCustomerLimit"),
        "category_ids": [catalog.get_category(slug).node.category.id for slug in spec.get("categories", [])],
    }, admin)


def _priced(option: dict, exponent: int) -> dict:
    """A demo customization with its prices (major-unit strings) in minor units."""
    priced = {**option, "price": catalog.parse_money(option.get("price", "0"), exponent) or 0}
    if "choices" in option:
        priced["choices"] = [{**c, "price": catalog.parse_money(c.get("price", "0"), exponent) or 0}
                             for c in option["choices"]]
    return priced


def _queue_imports(store_id: str, owner_id: str) -> list[str]:
    """One `product_import` job per sample CSV, exactly as the admin upload endpoint makes them."""
    job_ids = []
    for path in sorted(SHOPIFY_DIR.glob("*.csv")):
        text = catalog.decode_upload(path.read_bytes())
        job = jobs.create_job("product_import", catalog.import_payload(text, path.name, store_id),
                              owner_id=owner_id, total=catalog.count_handles(text))
        job_ids.append(job.id)
    return job_ids
