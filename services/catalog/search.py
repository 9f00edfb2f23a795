"""Product search: `GET /api/v1/products/search` (seed 004) and the advanced search of seed 001
(filters, sorts, facets).

`search_products(q, filters, sort=...)` finds the active products that match the text query
(services.catalog.search_index: PostgreSQL tsvector / SQLite FTS5, weighted name > tags >
description, prefixes) and pass `filters` (services.catalog.search_filters). Every word of
the query must match; when that finds nothing under the filters, the search is relaxed: first
to products matching any of the words (for queries of several words), then to names similar
to the query despite typos (pg_trgm word similarity on PostgreSQL, the trigram index on
SQLite); a relaxed answer says `fuzzy=True`. Without a text query it is a filtered browse.

Sorts (`SORTS`): `relevance` (the full-text rank, best first; without a query: newest),
`price` (cheapest variant's price, ascending by default), `newest` (created, newest first),
`rating` (average approved rating, best first; unrated last), `popular` (units ordered, all
time, most first). `sort_order` asc | desc overrides the direction. Ties break on the product
id, so pages never overlap.
"""

from __future__ import annotations

from dataclasses import dataclass

import peewee
from peewee import JOIN, fn

from models.catalog import Product
from models.orders import OrderItem
from services.catalog import facets as facet_module
from services.catalog import search_index
from services.catalog.products import ProductView, load_views, with_category
from services.catalog.search_filters import SearchFilters, narrowed, ratings

SORTS = ("relevance", "price", "newest", "rating", "popular")
DEFAULT_ORDER = {"relevance": "desc", "price": "asc", "newest": "desc", "rating": "desc", "popular": "desc"}


@dataclass
class SearchResult:
    """A page of a search: `views` (ProductView, in order), `total` matching products,
    `facets` ({facet: [entries]}, services.catalog.facets; None unless asked) and `fuzzy`
    (True when not every word matched: the answer is the any-word or the typo-tolerant match)."""

    views: list[ProductView]
    total: int
    facets: dict | None = None
    fuzzy: bool = False


def _units_ordered() -> peewee.SelectQuery:
    return (OrderItem.select(OrderItem.product_id, fn.SUM(OrderItem.quantity).alias("units"))
            .group_by(OrderItem.product_id))


def _page(filters: SearchFilters, match, sort: str, order: str, page: int, limit: int) -> list[Product]:
    joined = sort == "relevance" and match is not None and match.rank is None  # SQLite: rank from the FTS table
    query = with_category(narrowed(filters, None if joined else match))
    if joined:
        ranked = match.ranked.alias("m")
        query = query.join(ranked, on=(Product.id == ranked.c.product_id))
        key = ranked.c.rank
    elif sort == "relevance" and match is not None:
        key = match.rank
    elif sort == "price":
        key = Product.price
    elif sort == "rating":
        table = ratings().alias("r")
        query = query.join(table, JOIN.LEFT_OUTER, on=(Product.id == table.c.product_id))
        key = fn.COALESCE(table.c.average, 0)
    elif sort == "popular":
        table = _units_ordered().alias("u")
        query = query.join(table, JOIN.LEFT_OUTER, on=(Product.id == table.c.product_id))
        key = fn.COALESCE(table.c.units, 0)
    else:  # newest, or relevance without a text query
        key = Product.created_at
    ordering = key.desc() if order == "desc" else key.asc()
    tie = Product.id.desc() if order == "desc" and sort == "newest" else Product.id.asc()
    return list(query.order_by(ordering, tie).paginate(page, limit))


def _run(filters: SearchFilters, match, sort: str, order: str, page: int, limit: int) -> tuple[list, int]:
    rows = _page(filters, match, sort, order, page, limit)
    if page == 1 and len(rows) < limit:
        return rows, len(rows)
    return rows, narrowed(filters, match, columns=(Product.id,)).count()


def _relaxations(q: str):
    """The looser matches tried in turn when every word of `q` finds nothing (built lazily: the
    SQLite typo match reads its candidates)."""
    if len(search_index.terms(q)) > 1:
        yield lambda: search_index.text_match(q, every_word=False)
    yield lambda: search_index.fuzzy_match(q)


def search_products(q: str | None = None, filters: SearchFilters | None = None, sort: str = "relevance",
                    sort_order: str | None = None, page: int = 1, limit: int = 20,
                    with_facets: bool = False) -> SearchResult:
    """A page of the active products matching `q` (text, may be None or blank) and `filters`.

    `sort` is one of SORTS (see the module docstring), `sort_order` asc | desc (default: asc for
    price, desc otherwise); `page` >= 1, `limit` products per page; `with_facets` adds the facet
    counts (services.catalog.facets). Costs 3-4 queries (plus the variants and images of the
    page, services.catalog.products.load_views; plus 4-10 with facets). Arguments are trusted:
    the web layer validates them.
    """
    filters = filters or SearchFilters()
    order = sort_order or DEFAULT_ORDER[sort]
    match = search_index.text_match(q)
    rows, total = _run(filters, match, sort, order, page, limit)
    fuzzy = False
    if match is not None and total == 0:
        for relax in _relaxations(q):
            candidate = relax()
            if candidate is None:
                continue
            rows, total = _run(filters, candidate, sort, order, page, limit)
            if total:
                match, fuzzy = candidate, True
                break
    facets = facet_module.facet_counts(filters, match) if with_facets else None
    return SearchResult(load_views(rows), total, facets, fuzzy)
