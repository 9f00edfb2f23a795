"""Categories, stores, products, images, variants, warehouses and stock levels.

Prices are integer minor units of the shop currency. Stock lives in
`InventoryLevel` (one row per variant and warehouse); checkout decrements it
with a conditional UPDATE so it can never go negative.
"""

import peewee

from models.db import BaseModel, JSONField, PrefixedIdField, utcnow

PRODUCT_STATUSES = ("active", "draft", "archived")
SOLD_BY = ("unit", "weight")  # a variant's stock unit: pieces, or grams (price per kg)
PRODUCT_KINDS = ("general", "florist", "cheese", "skincare")  # decides a product's typed attributes


CATEGORY_TYPES = ("going_out", "home_delivery", "earn", "play")  # seed 002; a shop may use its own slug too


class Category(BaseModel):
    """A product category (seed 002), addressed by `slug` in filters; categories form a tree.

    `parent` is the parent category (None: a root); services.catalog.categories keeps the tree
    acyclic and at most `MAX_DEPTH` levels deep, and deletes a category with its subtree.
    `type` is one of `CATEGORY_TYPES` or a shop's own lower-case slug (<= 30 characters);
    `icon` an icon name or URL, `image` a URL (both None when unset); `metadata` is
    `{"color": "#RRGGBB", "tags": [str]}` (either key optional). Siblings are ordered by
    `sort_order`, then name (index on `(parent, sort_order)`; columns added by migration 0016).
    """

    id = PrefixedIdField("cat")
    name = peewee.CharField(max_length=200)
    slug = peewee.CharField(max_length=200, unique=True)
    description = peewee.TextField(default="")
    icon = peewee.CharField(max_length=1000, null=True)
    image = peewee.CharField(max_length=1000, null=True)
    type = peewee.CharField(max_length=30, default="home_delivery")
    parent = peewee.ForeignKeyField("self", null=True, backref="children", on_delete="CASCADE")
    is_active = peewee.BooleanField(default=True)
    sort_order = peewee.IntegerField(default=0)
    metadata = JSONField(default=dict)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("parent", "sort_order"), False),)


# SQL defaults of the store columns migration 0037 added, so rows written without them (older code,
# raw SQL) still insert
_EMPTY, _ZERO = peewee.SQL("DEFAULT ''"), peewee.SQL("DEFAULT 0")
_TRUE, _FALSE = peewee.SQL("DEFAULT TRUE"), peewee.SQL("DEFAULT FALSE")


class Store(BaseModel):
    """A store on the platform (seed 002 "Stores"): a florist, a cheese shop, a pharmacy...

    Columns beyond the first five were added by migration 0037 (services.content.stores):
    `logo`/`banner` the stored image files' names (None: none; served under
    `/api/v1/stores/{id}/logo|banner`); `category` a node of the category tree; location:
    `address`, `city`, `country` (ISO 3166-1 alpha-2), `latitude`/`longitude` (WGS 84 degrees,
    both None or both set; indexed together for the nearby search's bounding box),
    `delivery_radius_km` (km, 0: no delivery); contact: `phone` (E.164), `email`, `website`;
    ratings: `rating_sum`/`rating_count` (the sum and number of its reviews' 1-5 ratings, changed
    only by one UPDATE each, services.content.store_reviews); offers: `cashback_bp` (cashback in
    hundredths of a percent, 0-10000), `discount_text`, `is_partner`; operational info:
    `opening_hours` (`{"monday": [{"open": "HH:MM", "close": "HH:MM"}], ...}`, a close at or
    before its open ends the next day), `timezone` (IANA; None: the shop's SHOP_TIMEZONE),
    `delivery_time` (text such as "30-45 mins"), `minimum_order` (minor units of
    `minimum_order_currency`, 0: none); `is_active` (False: soft-deleted, hidden from the public).
    """

    id = PrefixedIdField("store")
    name = peewee.CharField(max_length=200)
    slug = peewee.CharField(max_length=200, unique=True)
    description = peewee.TextField(default="")
    created_at = peewee.DateTimeField(default=utcnow)
    logo = peewee.CharField(max_length=40, null=True)
    banner = peewee.CharField(max_length=40, null=True)
    category = peewee.ForeignKeyField(Category, null=True, backref="stores", on_delete="SET NULL")
    address = peewee.CharField(max_length=300, default="", constraints=[_EMPTY])
    city = peewee.CharField(max_length=100, default="", index=True, constraints=[_EMPTY])
    country = peewee.CharField(max_length=2, default="", constraints=[_EMPTY])
    latitude = peewee.DoubleField(null=True)
    longitude = peewee.DoubleField(null=True, index=True)
    delivery_radius_km = peewee.DoubleField(default=0, constraints=[_ZERO])
    phone = peewee.CharField(max_length=20, null=True)
    email = peewee.CharField(max_length=254, null=True)
    website = peewee.CharField(max_length=1000, null=True)
    rating_sum = peewee.IntegerField(default=0, constraints=[_ZERO])
    rating_count = peewee.IntegerField(default=0, constraints=[_ZERO])
    cashback_bp = peewee.IntegerField(default=0, constraints=[_ZERO])
    discount_text = peewee.CharField(max_length=200, default="", constraints=[_EMPTY])
    is_partner = peewee.BooleanField(default=False, index=True, constraints=[_FALSE])
    opening_hours = JSONField(default=dict, constraints=[peewee.SQL("DEFAULT '{}'")])
    timezone = peewee.CharField(max_length=64, null=True)
    delivery_time = peewee.CharField(max_length=50, default="", constraints=[_EMPTY])
    minimum_order = peewee.IntegerField(default=0, constraints=[_ZERO])
    minimum_order_currency = peewee.CharField(max_length=3, null=True)
    is_active = peewee.BooleanField(default=True, index=True, constraints=[_TRUE])
    updated_at = peewee.DateTimeField(default=utcnow, constraints=[peewee.SQL("DEFAULT CURRENT_TIMESTAMP")])

    class Meta:
        indexes = ((("latitude", "longitude"), False),)


class Product(BaseModel):
    """A product. `price`/`compare_at_price` mirror its cheapest variant (for sorting and filters)."""

    id = PrefixedIdField("prod")
    store = peewee.ForeignKeyField(Store, null=True, backref="products", on_delete="SET NULL")
    category = peewee.ForeignKeyField(Category, null=True, backref="products", on_delete="SET NULL")
    handle = peewee.CharField(max_length=255, unique=True)
    name = peewee.CharField(max_length=255, index=True)
    description = peewee.TextField(default="")
    vendor = peewee.CharField(max_length=255, default="")
    product_type = peewee.CharField(max_length=255, default="")
    tags = JSONField(default=list)
    status = peewee.CharField(max_length=16, default="active", index=True)
    price = peewee.IntegerField(default=0, index=True)
    compare_at_price = peewee.IntegerField(null=True)
    currency = peewee.CharField(max_length=3)
    seo_title = peewee.CharField(max_length=255, default="")
    seo_description = peewee.TextField(default="")
    attributes = JSONField(default=dict)  # ingredients, skinTypes, howToUse, occasion...
    options = JSONField(default=list)  # option names, e.g. ["Size", "Color"]
    kind = peewee.CharField(max_length=20, default="general", index=True)  # PRODUCT_KINDS (migration 0018)
    is_featured = peewee.BooleanField(default=False, index=True)  # seed 002 (migration 0018)
    # priced options chosen per cart line (services.catalog.customizations; migration 0019)
    customizations = JSONField(default=list, constraints=[peewee.SQL("DEFAULT '[]'")])
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    updated_at = peewee.DateTimeField(default=utcnow)


class ProductAttributeValue(BaseModel):
    """The filterable index of a product's typed attributes (migration 0018).

    One row per product, attribute name (the API's camelCase name, e.g. `occasion`,
    `flowerType`, `colors`, `skinTypes`) and value: a list attribute has a row per element.
    `value` is the lower-cased text of a choice (numbers are not indexed here: they filter on
    the product's `attributes` JSON). Rewritten on every product write, so filters and search
    facets count products with `WHERE name = ? AND value IN (...)` on the `(name, value)` index.
    """

    product = peewee.ForeignKeyField(Product, backref="attribute_values", on_delete="CASCADE")
    name = peewee.CharField(max_length=100)
    value = peewee.CharField(max_length=255)

    class Meta:
        primary_key = peewee.CompositeKey("product", "name", "value")
        indexes = ((("name", "value"), False),)


class ProductImage(BaseModel):
    id = PrefixedIdField("img")
    product = peewee.ForeignKeyField(Product, backref="images", on_delete="CASCADE")
    url = peewee.CharField(max_length=1000)
    alt_text = peewee.CharField(max_length=500, default="")
    sort_order = peewee.IntegerField(default=0)


class Variant(BaseModel):
    """A purchasable variant with its SKU, price in minor units and weight in grams.

    `archived_at` is set when a product update drops a variant that order lines refer to:
    the row (and its stock) stays for those orders, but the variant is no longer sold or
    shown; the same SKU or options coming back restore it (migration 0006).

    Selling by weight (seed 003's cheese counter, migration 0031): `sold_by` is "unit" (the
    default) or "weight". For a weight variant `price` is the price of one kilogram (minor units),
    a cart line chooses a weight per piece that is a multiple of `weight_step_grams` and at least
    `min_weight_grams` (both set, > 0, the step dividing the minimum; both None for unit variants),
    and its stock (`InventoryLevel.quantity` / `reserved`, reservations, movements) is counted in
    grams, not pieces.
    """

    id = PrefixedIdField("var")
    product = peewee.ForeignKeyField(Product, backref="variants", on_delete="CASCADE")
    name = peewee.CharField(max_length=255, default="Default")
    sku = peewee.CharField(max_length=100, unique=True, null=True)
    price = peewee.IntegerField()
    compare_at_price = peewee.IntegerField(null=True)
    wholesale_price = peewee.IntegerField(null=True)  # minor units, for wholesale customers (migration 0019)
    weight_grams = peewee.IntegerField(null=True)
    option_values = JSONField(default=list)
    low_stock_threshold = peewee.IntegerField(default=10)
    position = peewee.IntegerField(default=1)
    requires_shipping = peewee.BooleanField(default=True)
    sold_by = peewee.CharField(max_length=8, default="unit", constraints=[peewee.SQL("DEFAULT 'unit'")])  # SOLD_BY
    weight_step_grams = peewee.IntegerField(null=True)  # weight variants only
    min_weight_grams = peewee.IntegerField(null=True)  # weight variants only
    archived_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)


class Warehouse(BaseModel):
    """A stock location (seed 000 warehouses). Migration 0024 added everything after `is_default`.

    - `address`: `{"line1", "city", "state", "postalCode", "country"}` (ISO 3166-1 alpha-2);
      `latitude`/`longitude` in degrees (optional).
    - `regions`: the shipping regions served, each `"*"` (everywhere), a country (`"US"`) or a
      country and state / province (`"US-CA"`, matched against the address's `state`).
    - `shipping_estimates`: days from dispatch to delivery per region,
      `{"US": {"minDays": 2, "maxDays": 4}, "*": {...}}`; the most specific region matching the
      address wins, and a region without an estimate uses the shipping method's days.
    - `priority`: allocation order among equally good choices (lower first).
    - `active`: an inactive warehouse is not allocated to and its units are not sellable.
    """

    id = PrefixedIdField("wh")
    code = peewee.CharField(max_length=50, unique=True)
    name = peewee.CharField(max_length=200)
    is_default = peewee.BooleanField(default=False)
    address = JSONField(default=dict)
    latitude = peewee.FloatField(null=True)
    longitude = peewee.FloatField(null=True)
    regions = JSONField(default=list)
    shipping_estimates = JSONField(default=dict)
    priority = peewee.IntegerField(default=100)
    active = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)


class InventoryLevel(BaseModel):
    """Units on hand of one variant in one warehouse (grams for a variant sold by weight);
    `quantity >= 0` is enforced by a CHECK.

    `reserved` (migration 0021): units held by active cart reservations (models.inventory),
    CHECK 0 <= reserved <= quantity; the units a shopper can buy are `quantity - reserved`."""

    variant = peewee.ForeignKeyField(Variant, backref="inventory_levels", on_delete="CASCADE")
    warehouse = peewee.ForeignKeyField(Warehouse, backref="inventory_levels", on_delete="CASCADE")
    quantity = peewee.IntegerField(default=0, constraints=[peewee.Check("quantity >= 0")])
    reserved = peewee.IntegerField(default=0, constraints=[peewee.Check("reserved >= 0 AND reserved <= quantity")])
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        primary_key = peewee.CompositeKey("variant", "warehouse")
