"""The filters of the advanced product search, and the filtered query that search and its
facets share (services.catalog.search, services.catalog.facets).

Every filter but the rating is services.catalog.product_filters.filter_products's, so search
counts the same products as the product list. A search sees only active products.

Facet names (`FACETS`) are the API's query parameter names: `category`, `price`,
`availability`, `rating` and one per filterable typed attribute (`occasion`, `flowerType`,
`color`, `milk`, `skinType`, `concern`: services.catalog.product_attributes.FILTERABLE, whose
`query` names them). `narrowed(filters, match, without=facet)` drops that facet's own filter:
the disjunctive faceting of Shopify and Algolia (a facet's counts apply every other filter).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import peewee
from peewee import fn

from models.catalog import Category, Product
from models.reviews import Review
from services.catalog import product_attributes, product_filters
from services.catalog.search_index import Match

ATTRIBUTE_FACETS = {spec.query: spec.name for spec in product_attributes.FILTERABLE}  # query name -> attribute
FACETS = ("category", *ATTRIBUTE_FACETS, "price", "availability", "rating")


@dataclass(frozen=True)
class SearchFilters:
    """What a search is narrowed to; every field optional.

    `categories`: category slugs (a product directly in any of them); `min_price`/`max_price`:
    minor units, on the cheapest variant; `in_stock`: True in stock, False out of stock (as the
    product list counts it); `min_rating`: least average rating (1-5) of approved reviews
    (products without one are left out); `attributes`: `{query name: [values]}` with names of
    ATTRIBUTE_FACETS (e.g. `{"occasion": ["birthday"], "color": ["red", "white"]}`: OR within
    one, AND across); `store_id`.
    """

    categories: tuple = ()
    min_price: int | None = None
    max_price: int | None = None
    in_stock: bool | None = None
    min_rating: float | None = None
    attributes: dict = field(default_factory=dict)
    store_id: str | None = None


def ratings() -> peewee.SelectQuery:
    """`(product_id, average, reviews)`: the average rating (1-5) and count of each product's
    approved reviews (products without one have no row)."""
    return (Review.select(Review.product.alias("product_id"), fn.AVG(Review.rating).alias("average"),
                          fn.COUNT(Review.id).alias("reviews"))
            .where(Review.status == "approved").group_by(Review.product))


def rating_filter(min_rating: float) -> peewee.Expression:
    """Products whose approved reviews average at least `min_rating`."""
    rated = (Review.select(Review.product).where(Review.status == "approved").group_by(Review.product)
             .having(fn.AVG(Review.rating) >= min_rating))
    return Product.id.in_(rated)


def narrowed(filters: SearchFilters, match: Match | None, without: str | None = None,
             columns: tuple | None = None) -> peewee.SelectQuery:
    """A select of `columns` (default: the Product row) from the active products that pass
    `filters` and `match` (None: no text query), ignoring the filter of facet `without`.
    No SQL runs here."""
    attributes = {ATTRIBUTE_FACETS[name]: values for name, values in filters.attributes.items()
                  if name != without and values}
    kwargs = {"attributes": attributes, "store_id": filters.store_id}
    if filters.categories and without != "category":
        kwargs["category_ids"] = Category.select(Category.id).where(Category.slug.in_(list(filters.categories)))
    if without != "price":
        kwargs.update(min_price=filters.min_price, max_price=filters.max_price)
    if without != "availability":
        kwargs["in_stock"] = filters.in_stock
    query = product_filters.filter_products(Product.select(*(columns or ())), **kwargs)
    if filters.min_rating is not None and without != "rating":
        query = query.where(rating_filter(filters.min_rating))
    return match.restrict(query) if match is not None else query
