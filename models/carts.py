"""Carts, cart items and discount codes."""

import peewee

from models.catalog import Product, Variant
from models.db import BaseModel, JSONField, PrefixedIdField, utcnow
from models.users import User

CART_STATUSES = ("active", "converted", "expired")


PROMOTION_KINDS = ("percentage", "fixed_amount", "free_shipping")


class DiscountCode(BaseModel):
    """A promotion code: one model for seed 001's PromoCode, seed 003's Coupon and seed 004's
    discount codes (services.orders.promotions has the rules).

    `code` is stored upper-case. `kind` percentage (`value` 20 = 20 %, at most
    `maximum_discount` minor units when set), fixed_amount (`value` minor units of the shop
    currency) or free_shipping (the chosen method's price waived; `value` 0). `minimum_amount` is
    the cart subtotal it needs (minor units). `usage_limit` caps uses overall and
    `per_customer_limit` per customer (null: unlimited); `usage_count` is the uses recorded by
    orders (`DiscountUse`), given back when an order is cancelled. `starts_at`/`ends_at` bound
    when it is valid (UTC). `category_ids` / `product_ids` (both empty: the whole cart) restrict
    the lines it discounts (a category includes its subcategories). `customer` makes it personal
    (a loyalty reward, services.loyalty): only that customer may use it. Columns after
    `created_at` came with migration 0025.
    """

    id = PrefixedIdField("disc")
    code = peewee.CharField(max_length=50, unique=True)
    kind = peewee.CharField(max_length=20)
    value = peewee.IntegerField()
    minimum_amount = peewee.IntegerField(default=0)
    usage_limit = peewee.IntegerField(null=True)
    usage_count = peewee.IntegerField(default=0)
    starts_at = peewee.DateTimeField(null=True)
    ends_at = peewee.DateTimeField(null=True)
    active = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=utcnow)
    description = peewee.CharField(max_length=500, default="")
    maximum_discount = peewee.IntegerField(null=True)
    per_customer_limit = peewee.IntegerField(null=True)
    category_ids = JSONField(default=list)
    product_ids = JSONField(default=list)
    customer = peewee.ForeignKeyField(User, null=True, backref="personal_codes", on_delete="CASCADE")
    created_by = peewee.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    updated_at = peewee.DateTimeField(default=utcnow)


class Cart(BaseModel):
    """A cart. A guest cart (customer null) is reachable by its id; a customer's only by them and staff."""

    id = PrefixedIdField("cart")
    customer = peewee.ForeignKeyField(User, null=True, backref="carts", on_delete="SET NULL")
    currency = peewee.CharField(max_length=3)
    discount_code = peewee.CharField(max_length=50, null=True)
    status = peewee.CharField(max_length=16, default="active", index=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
    expires_at = peewee.DateTimeField(index=True)
    converted_at = peewee.DateTimeField(null=True)
    # storefront | one_click (a one-click purchase's own cart; migration 0033)
    source = peewee.CharField(max_length=16, default="storefront", constraints=[peewee.SQL("DEFAULT 'storefront'")])


class CartItem(BaseModel):
    """A line of a cart: one per variant and set of chosen customizations (adding the same
    variant with the same customizations again adds to its quantity).

    `customizations` is the chosen set as it was when added (services.catalog.customizations:
    `[{"code", "label", "value", "price"}]`, price in minor units per unit, in the product's
    definition order); `customization_key` is its stable hash (`customization_key()`, "" for no
    customizations), so the unique index is on `(cart, variant, customization_key)` (migration
    0019). `unit_price` is the price at the last write (minor units); reads re-price the line.

    `weight_grams` (migration 0031) is the weight of one piece of a line of a variant sold by
    weight (grams; 0 for unit lines, so the unique index also holds for them): a line is one
    variant, one weight and one set of customizations, unique on `(cart, variant,
    customization_key, weight_grams)`; `quantity` counts pieces of that weight.
    """

    id = PrefixedIdField("item")
    cart = peewee.ForeignKeyField(Cart, backref="items", on_delete="CASCADE")
    product = peewee.ForeignKeyField(Product, on_delete="CASCADE")
    variant = peewee.ForeignKeyField(Variant, on_delete="CASCADE")
    quantity = peewee.IntegerField()
    unit_price = peewee.IntegerField()
    customizations = JSONField(default=list, constraints=[peewee.SQL("DEFAULT '[]'")])
    customization_key = peewee.CharField(max_length=64, default="", constraints=[peewee.SQL("DEFAULT ''")])
    weight_grams = peewee.IntegerField(default=0, constraints=[peewee.SQL("DEFAULT 0")])
    # the shoppable video the line was added from (services.content; migration 0038), None: none
    source_video_id = peewee.CharField(max_length=40, null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("cart", "variant", "customization_key", "weight_grams"), True),)
