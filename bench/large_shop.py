"""A large shop written straight into the bench database with bulk SQL (issue 7, "scale with
data"): by default 100,000 active products (one variant each, stock in the default
warehouse), 200,000 customers and 1,000,000 historical orders (one line each, with their fraud
signals), spread over the last 365 days.

The rows are built by PostgreSQL itself (`INSERT ... SELECT ... FROM generate_series`), one
statement per table, in the shapes the application writes (ids `prefix_bulk...`, JSON columns
as text, every NOT NULL column given: peewee's defaults live in Python, not in the schema),
then VACUUM ANALYZE leaves the tables as autovacuum leaves a live shop's (statistics of
their real size, visibility maps set for index-only scans). Guest and customer orders,
repeated emails, IPs, card fingerprints and shipping addresses give the fraud history queries
real work. Seeding the default sizes takes about a minute on the bench machine, plus the
search index of the products (migration 0020's generated tsvector column and its GIN and trigram
indexes, maintained by PostgreSQL during the INSERT: about 40 s for 100,000 products on a
busy 2-core machine).

`seed_large_shop(database_url, ...)` returns the counts, the seconds each table took, and a
sample of the new products (`[{"id", "variantId"}]`) for the browse and checkout scenarios.
"""

from __future__ import annotations

import time

from bench import pgstats
from services.catalog.warehouses import DEFAULT_WAREHOUSE_CODE, DEFAULT_WAREHOUSE_ID

PRODUCTS = 100_000
CUSTOMERS = 200_000
ORDERS = 1_000_000
SAMPLE = 1_000  # large products the scenarios browse and buy, besides the API-seeded ones
STOCK = 1_000  # units per large variant
CITIES = 500  # distinct shipping addresses per country: addresses repeat, as they do

_ADDRESS = ("json_build_object('firstName', 'Bulk', 'lastName', 'Buyer', 'email', {email}, "
            "'phone', '+962790000000', 'country', 'JO', 'city', 'City ' || ({n} % {cities}), "
            "'street', 'Street ' || ({n} % 97), 'postalCode', '11118')::text")


# Product names: an adjective, a noun and a form from these lists, then the number (e.g. "Velvet
# Rose Bouquet 1234"), so search and autocomplete (bench.scenarios) match realistic shares of the
# catalog: a noun 1 in 12, an adjective 1 in 8. The search index (product.search_vector, a
# generated column of migration 0020) is computed by PostgreSQL on this INSERT.
NOUNS = ("Rose", "Tulip", "Lily", "Peony", "Orchid", "Sunflower", "Brie", "Comte", "Serum", "Cleanser", "Candle",
         "Vase")
ADJECTIVES = ("Red", "White", "Pink", "Golden", "Classic", "Velvet", "Wild", "Rustic")
FORMS = ("Bouquet", "Box", "Gift Set", "Basket", "Collection")


def _array(words: tuple[str, ...]) -> str:
    return "(ARRAY[" + ", ".join(f"'{w}'" for w in words) + "])"


NOUN = f"{_array(NOUNS)}[g % {len(NOUNS)} + 1]"
NAME = (f"{_array(ADJECTIVES)}[g / {len(NOUNS)} % {len(ADJECTIVES)} + 1] || ' ' || {NOUN} || ' ' || "
        f"{_array(FORMS)}[g / {len(NOUNS) * len(ADJECTIVES)} % {len(FORMS)} + 1] || ' ' || g")


def _statements(products: int, customers: int, orders: int) -> list[tuple[str, str]]:
    email = "CASE WHEN g % 5 = 0 THEN 'guest-' || (g % 50000) || '@example.net' " \
            "ELSE 'large-customer-' || (g % {c} + 1) || '@example.com' END".format(c=customers)
    address = _ADDRESS.format(email=email, n="g", cities=CITIES)
    return [
        ("customers", f"""
            INSERT INTO "user" (id, email, password_hash, first_name, last_name, phone, role, is_active,
                                is_verified, created_at, updated_at)
            SELECT 'usr_bulk' || g, 'large-customer-' || g || '@example.com', '!bulk', 'Large', 'Customer ' || g,
                   NULL, 'customer', true, true, now() - (g % 700) * interval '1 day', now() - (g % 700) * interval '1 day'
            FROM generate_series(1, {customers}) AS g"""),
        ("products", f"""
            INSERT INTO product (id, store_id, category_id, handle, name, description, vendor, product_type, tags,
                                 status, price, compare_at_price, currency, seo_title, seo_description, attributes,
                                 options, kind, is_featured, created_at, updated_at)
            SELECT 'prod_bulk' || g, NULL, NULL, 'large-product-' || g, {NAME},
                   'A ' || lower({NOUN}) || ' of the large bench shop.', 'Bulk', 'general',
                   '["' || lower({NOUN}) || '"]', 'active', 500 + g % 5000, NULL,
                   'USD', '', '', '{{}}', '[]', 'general', false, now() - interval '400 days' + g * interval '1 second',
                   now() - interval '400 days' + g * interval '1 second'
            FROM generate_series(1, {products}) AS g"""),
        ("variants", f"""
            INSERT INTO variant (id, product_id, name, sku, price, compare_at_price, weight_grams, option_values,
                                 low_stock_threshold, position, requires_shipping, archived_at, created_at, updated_at)
            SELECT 'var_bulk' || g, 'prod_bulk' || g, 'Default', 'BULK-' || g, 500 + g % 5000, NULL, 250, '{{}}',
                   5, 1, true, NULL, now(), now()
            FROM generate_series(1, {products}) AS g"""),
        ("warehouse", f"""
            INSERT INTO warehouse (id, code, name, is_default, address, latitude, longitude, regions,
                                   shipping_estimates, priority, active, created_at, updated_at)
            VALUES ('{DEFAULT_WAREHOUSE_ID}', '{DEFAULT_WAREHOUSE_CODE}', 'Default warehouse', true, '{{}}', NULL,
                    NULL, '["*"]', '{{}}', 0, true, now(), now())
            ON CONFLICT DO NOTHING"""),
        ("inventory", f"""
            INSERT INTO inventory_level (variant_id, warehouse_id, quantity, reserved, updated_at)
            SELECT 'var_bulk' || g, '{DEFAULT_WAREHOUSE_ID}', {STOCK}, 0, now()
            FROM generate_series(1, {products}) AS g"""),
        ("orders", f"""
            INSERT INTO "order" (id, order_number, cart_id, customer_id, customer_email, status, payment_status,
                                 payment_method, subtotal, tax, shipping, discount, total, currency, discount_code,
                                 shipping_address, billing_address, shipping_method, estimated_delivery,
                                 tracking_number, notes, stock_released, job_id, client_ip, created_at, updated_at)
            SELECT 'ord_bulk' || g, 'BULK-' || g, NULL,
                   CASE WHEN g % 5 = 0 THEN NULL ELSE 'usr_bulk' || (g % {customers} + 1) END, {email},
                   'delivered', CASE WHEN g % 3 = 0 THEN 'pending' ELSE 'paid' END,
                   CASE WHEN g % 3 = 0 THEN 'cash_on_delivery' ELSE 'stripe' END,
                   1000 + g % 9000, 0, 0, 0, 1000 + g % 9000, 'USD', NULL, {address}, {address},
                   '{{"id":"standard","name":"Standard","price":0}}', NULL, NULL, '', false, NULL,
                   '81.2.' || (g % 250) || '.' || (g % 200 + 1),
                   now() - interval '365 days' + (g::float / {orders}) * interval '365 days' - interval '1 hour',
                   now() - interval '365 days' + (g::float / {orders}) * interval '365 days' - interval '1 hour'
            FROM generate_series(1, {orders}) AS g"""),
        ("order items", f"""
            INSERT INTO order_item (id, order_id, product_id, variant_id, quantity, unit_price, total_price,
                                    product_snapshot)
            SELECT 'oi_bulk' || g, 'ord_bulk' || g, 'prod_bulk' || (g % {products} + 1),
                   'var_bulk' || (g % {products} + 1), 1, 1000 + g % 9000, 1000 + g % 9000,
                   json_build_object('name', 'Large Product ' || (g % {products} + 1))::text
            FROM generate_series(1, {orders}) AS g"""),
        ("fraud signals", f"""
            INSERT INTO fraud_signal (order_id, created_at, customer_id, email, email_domain, client_ip, ip_country,
                                      card_fingerprint, shipping_key, shipping_country, billing_country)
            SELECT o.id, o.created_at, o.customer_id, lower(o.customer_email),
                   split_part(o.customer_email, '@', 2), o.client_ip, 'GB',
                   CASE WHEN o.payment_method = 'stripe' THEN 'fp_bulk' || (substr(o.id, 9)::int % 150000) END,
                   md5(o.shipping_address), 'JO', 'JO'
            FROM "order" o WHERE o.id LIKE 'ord\\_bulk%'"""),
    ]


def seed_large_shop(database_url: str, products: int = PRODUCTS, customers: int = CUSTOMERS,
                    orders: int = ORDERS, sample: int = SAMPLE) -> dict:
    """Write the large shop into the (migrated) database at `database_url`.

    Returns {"products", "customers", "orders": counts, "seconds": {table: s},
    "sample": [{"id", "variantId"}] (`sample` products spread over the catalog)}.
    Raises psycopg2.Error when a statement fails (nothing of that statement is written)."""
    import psycopg2

    timings = {}
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for name, sql in _statements(products, customers, orders):
                started = time.monotonic()
                cur.execute(sql)
                timings[name] = round(time.monotonic() - started, 1)
    finally:
        conn.close()
    timings["vacuum analyze"] = pgstats.vacuum_analyze(database_url)  # what autovacuum leaves a live shop's in
    step = max(1, products // max(1, sample))
    picked = [{"id": f"prod_bulk{g}", "variantId": f"var_bulk{g}"} for g in range(1, products + 1, step)][:sample]
    return {"products": products, "customers": customers, "orders": orders, "seconds": timings, "sample": picked}
