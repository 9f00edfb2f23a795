"""Facet counts of a product search (`facets=true` of `GET /api/v1/products/search/advanced`).

Disjunctive faceting, as Shopify's and Algolia's facets behave: the counts of one facet apply
the text query and every *other* filter, not the facet's own, so a shopper who picked
`occasion=birthday` still sees how many products each other occasion would add.
Facets (services.catalog.search_filters.FACETS):

- `category`: products per category (direct membership), `label` the category name;
- one per filterable typed attribute (`occasion`, `flowerType`, `color`, `milk`, `skinType`,
  `concern`): products per value (from `ProductAttributeValue`);
- `price`: products per price bucket of `PRICE_BUCKETS` (minor units, `min` inclusive, `max`
  exclusive, None: open), on the cheapest variant's price;
- `availability`: `in-stock` and `out-of-stock` counts;
- `rating`: products whose approved reviews average at least 4, 3, 2 and 1 ("& up" buckets,
  so they overlap, as shops show them).

Values with no product are left out (buckets too), most products first, then by value. Every
facet costs one query; the attribute facets whose attribute is not filtered share one.
"""

from __future__ import annotations

from peewee import JOIN, Case, fn

from models.catalog import Category, Product, ProductAttributeValue
from services.catalog.product_filters import in_stock_filter
from services.catalog.search_filters import ATTRIBUTE_FACETS, SearchFilters, narrowed, ratings
from services.catalog.search_index import Match

PRICE_BUCKETS = ((0, 2500), (2500, 5000), (5000, 10000), (10000, 20000), (20000, None))  # minor units
RATING_BUCKETS = (4, 3, 2, 1)  # "& up"


def _entry(value: str, count: int, **extra) -> dict:
    return {"value": value, "count": count, **extra}


def _ordered(entries: list[dict]) -> list[dict]:
    return sorted((e for e in entries if e["count"] > 0), key=lambda e: (-e["count"], e["value"]))


def _categories(filters: SearchFilters, match: Match | None) -> list[dict]:
    query = (narrowed(filters, match, "category", (Category.slug, Category.name, fn.COUNT(Product.id)))
             .join(Category, on=(Product.category == Category.id)).group_by(Category.slug, Category.name))
    return _ordered([_entry(slug, count, label=name) for slug, name, count in query.tuples()])


def _attributes(filters: SearchFilters, match: Match | None) -> dict[str, list[dict]]:
    facets = {}
    unfiltered = [name for name in ATTRIBUTE_FACETS if not filters.attributes.get(name)]
    groups = [(None, unfiltered)] + [(name, [name]) for name in ATTRIBUTE_FACETS if filters.attributes.get(name)]
    for without, names in groups:
        if not names:
            continue
        by_attribute = {ATTRIBUTE_FACETS[n]: n for n in names}
        pav = ProductAttributeValue
        rows = (pav.select(pav.name, pav.value, fn.COUNT(pav.product))
                .where(pav.name.in_(sorted(by_attribute)),
                       pav.product.in_(narrowed(filters, match, without, (Product.id,))))
                .group_by(pav.name, pav.value).tuples())
        found = {n: [] for n in names}
        for attribute, value, count in rows:
            found[by_attribute[attribute]].append(_entry(value, count))
        facets.update({n: _ordered(entries) for n, entries in found.items()})
    return facets


def _bucket_label(low: int, high: int | None) -> str:
    return f"{low}-{high}" if high is not None else f"{low}-"


def _prices(filters: SearchFilters, match: Match | None) -> list[dict]:
    sums = []
    for low, high in PRICE_BUCKETS:
        inside = (Product.price >= low) if high is None else ((Product.price >= low) & (Product.price < high))
        sums.append(fn.SUM(Case(None, [(inside, 1)], 0)))
    row = narrowed(filters, match, "price", tuple(sums)).tuples().first() or ()
    entries = [_entry(_bucket_label(low, high), int(count or 0), min=low, max=high)
               for (low, high), count in zip(PRICE_BUCKETS, row)]
    return [e for e in entries if e["count"] > 0]


def _availability(filters: SearchFilters, match: Match | None) -> list[dict]:
    stocked = fn.SUM(Case(None, [(in_stock_filter(True), 1)], 0))
    total, in_stock = narrowed(filters, match, "availability", (fn.COUNT(Product.id), stocked)).tuples().first()
    in_stock = int(in_stock or 0)
    return _ordered([_entry("in-stock", in_stock), _entry("out-of-stock", int(total or 0) - in_stock)])


def _ratings(filters: SearchFilters, match: Match | None) -> list[dict]:
    table = ratings().alias("r")
    sums = tuple(fn.SUM(Case(None, [(table.c.average >= stars, 1)], 0)) for stars in RATING_BUCKETS)
    row = (narrowed(filters, match, "rating", sums)
           .join(table, JOIN.INNER, on=(Product.id == table.c.product_id)).tuples().first()) or ()
    entries = [_entry(str(stars), int(count or 0), min=stars) for stars, count in zip(RATING_BUCKETS, row)]
    return [e for e in entries if e["count"] > 0]


def facet_counts(filters: SearchFilters, match: Match | None) -> dict[str, list[dict]]:
    """`{facet: [{"value", "count", ...}]}` for every facet (see the module docstring): category
    entries carry `label`, price entries `min`/`max` (minor units; `max` exclusive, None: open),
    rating entries `min` (stars). Costs 4 queries plus one per filtered attribute."""
    facets = {"category": _categories(filters, match)}
    facets.update(_attributes(filters, match))
    facets["price"] = _prices(filters, match)
    facets["availability"] = _availability(filters, match)
    facets["rating"] = _ratings(filters, match)
    return facets


__all__ = ["PRICE_BUCKETS", "RATING_BUCKETS", "facet_counts"]
