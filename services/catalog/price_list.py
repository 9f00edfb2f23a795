"""Seed 000's `pricing` of a product: `{base, discounted, wholesale}`, minor units.

- `base`: the product's `compareAtPrice` when set, else its `price` (both mirror the cheapest
  variant, see services.catalog.products), i.e. the price before any markdown;
- `discounted`: `price` when it is below `base`, else null (nothing is marked down);
- `wholesale`: the lowest `wholesalePrice` of the product's live variants, null when none has one.

**Why `wholesale` is public.** Product answers are shared: anonymous reads are cached by path
and query string only (web.cache, services.platform.catalog_ttl) and served to every caller, so
a product's JSON cannot depend on who asks. We publish the wholesale price like a published B2B
price list (as Shopify B2B catalogs and seed 000's product document do) in `pricing.wholesale`
and each variant's `wholesalePrice`; it is only *applied* in the carts of customers in the
`wholesale` customer group (services.orders.pricing.unit_price). Retail customers and guests
see it but never pay it.
"""

from __future__ import annotations


def product_pricing(price: int, compare_at_price: int | None, variants) -> dict:
    """`{"base", "discounted", "wholesale"}` (minor units, see the module docstring) for a
    product whose (cheapest variant's) price and compare-at price are `price` and
    `compare_at_price`; `variants` are its live variants (anything with `wholesale_price`)."""
    base = compare_at_price if compare_at_price is not None else price
    wholesale = [v.wholesale_price for v in variants if v.wholesale_price is not None]
    return {"base": base, "discounted": price if price < base else None,
            "wholesale": min(wholesale) if wholesale else None}
