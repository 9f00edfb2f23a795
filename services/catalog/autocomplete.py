"""Search suggestions as a shopper types (`GET /api/v1/search/autocomplete`): products,
categories and popular queries starting with a prefix.

Only indexed prefix lookups with a small limit, so it stays fast on a large catalog:

- products: active products whose name starts with the prefix (PostgreSQL: the b-tree
  `product_name_prefix` on `lower(name) COLLATE "C"`, which serves both the LIKE prefix and
  the order, alphabetical by code point), then, when fewer than
  `limit`, products with a name word starting with it (services.catalog.search_index.name_match:
  PostgreSQL the tsvector index restricted to the name's weight A, SQLite the FTS5 prefix index
  of the name column), in no particular order (an unordered LIMIT stops early). A prefix shorter than
  `MIN_WORD_PREFIX` characters only does the first lookup;
- categories: active categories whose name or slug starts with the prefix (a small table);
- queries: the popular searches of the last 7 days starting with it
  (services.catalog.search_history).
"""

from __future__ import annotations

from peewee import SQL, NodeList, fn

from models.catalog import Category, Product
from models.db import atomic, database, is_postgres
from models.search import ProductSearchEntry
from services.catalog import search_history, search_index

MIN_WORD_PREFIX = 2
PRODUCT_COLUMNS = (Product.id, Product.name, Product.handle, Product.price, Product.currency)


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _name_starts(prefix: str, limit: int) -> list[tuple]:
    active = Product.status == "active"
    if is_postgres():  # the b-tree product_name_prefix: (lower(name) COLLATE "C")
        key = NodeList((fn.lower(Product.name), SQL('COLLATE "C"')))
        starts = NodeList((key, SQL("LIKE"), _like_prefix(prefix)))
        return list(Product.select(*PRODUCT_COLUMNS).where(starts, active).order_by(key).limit(limit).tuples())
    words = search_index.terms(prefix)
    if not words:
        return []
    expression = 'name: ^"' + " ".join(words) + '"*'  # the name's first words, the last one a prefix
    entry = ProductSearchEntry
    ids = entry.select(entry.product_id).where(entry.match(expression))
    return list(Product.select(*PRODUCT_COLUMNS).where(Product.id.in_(ids), active)
                .order_by(fn.lower(Product.name), Product.id).limit(limit).tuples())


def _word_starts(prefix: str, limit: int, skip: set) -> list[tuple]:
    match = search_index.name_match(prefix)
    if match is None:
        return []
    query = match.restrict(Product.select(*PRODUCT_COLUMNS).where(Product.status == "active"))
    if skip:
        query = query.where(Product.id.not_in(sorted(skip)))
    if not is_postgres():
        return list(query.limit(limit).tuples())
    # A prefix tsquery has no statistics: with LIMIT the planner would scan the whole table (or
    # the status index) hoping to stop early, 300-400 ms on 100k products when nothing matches;
    # a bitmap scan of the GIN index is a few ms whatever the prefix (the heap part stops early).
    with atomic():
        database.execute_sql("SET LOCAL enable_seqscan = off")
        database.execute_sql("SET LOCAL enable_indexscan = off")
        return list(query.limit(limit).tuples())


def _products(prefix: str, limit: int) -> list[dict]:
    rows = _name_starts(prefix, limit)
    if len(rows) < limit and len(prefix) >= MIN_WORD_PREFIX:
        rows += _word_starts(prefix, limit - len(rows), {r[0] for r in rows})
    return [{"id": i, "name": n, "handle": h, "price": p, "currency": c} for i, n, h, p, c in rows]


def _categories(prefix: str, limit: int) -> list[dict]:
    lowered = fn.lower(Category.name)
    starts = (fn.SUBSTR(lowered, 1, len(prefix)) == prefix) | (fn.SUBSTR(Category.slug, 1, len(prefix)) == prefix)
    rows = (Category.select(Category.id, Category.slug, Category.name)
            .where(starts, Category.is_active == True)  # noqa: E712 (SQL)
            .order_by(Category.sort_order, lowered).limit(limit).tuples())
    return [{"id": i, "slug": s, "name": n} for i, s, n in rows]


def suggest(prefix: str, limit: int = 5) -> dict:
    """`{"products": [{id, name, handle, price (minor units), currency}], "categories": [{id,
    slug, name}], "queries": [{query, count}]}`, at most `limit` of each, for `prefix`
    (case-insensitive; blank: nothing). Costs 3-4 indexed queries."""
    prefix = search_history.normalize_query(prefix)
    if not prefix:
        return {"products": [], "categories": [], "queries": []}
    return {"products": _products(prefix, limit), "categories": _categories(prefix, limit),
            "queries": search_history.popular_searches(limit=limit, prefix=prefix)}
