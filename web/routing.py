"""URL converters that keep fixed words out of id routes, so that `/products/search`,
`/orders/analytics` or `/admin/fraud/rules/reorder` (with another method) is a route miss
(the generic 404 of an unknown URL, or the 405 of the fixed route it is) instead of
"Product not found" / "Order not found", and `Allow` lists only the methods of that path.

- `<product:product_id>`: a product id (`prod_...`) or handle, never one of
  `RESERVED_PRODUCT_WORDS` (every fixed segment routed under /api/v1/products/ is one; a
  test keeps it so);
- `<id(prefix):name>`: an id of one kind, which always starts with `prefix_` (ids are
  `models.db.new_id(prefix)`), e.g. `<id(cart):cart_id>`;
- `<order:order_id>`: an order id (`ord_...`).

`install(app, api)` registers them (and their OpenAPI schemas); until every route with an
`order_id` uses `<order:...>`, a URL value preprocessor answers the generic 404 for any
`order_id` that is not `ord_...`.
"""

from __future__ import annotations

import re

from flask import Flask
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter

# Fixed words under /products: the routed ones, and those clients use for product collections.
RESERVED_PRODUCT_WORDS = frozenset({
    "search", "featured", "trending", "recommendations", "stock-updates", "related", "new", "new-arrivals",
    "popular", "best-sellers", "bestsellers", "categories", "tags", "brands", "vendors", "collections",
    "export", "import", "bulk", "count", "stats", "analytics", "events", "stream", "suggestions",
    "autocomplete", "filters", "compare",
})
NO_NUL_SEGMENT = "[^/\\u0000]"  # documented: a path segment character (NUL is refused everywhere)


class ProductRefConverter(BaseConverter):
    """A product id or handle (one path segment), never a reserved word (any case)."""

    regex = "(?!(?i:" + "|".join(re.escape(w) for w in sorted(RESERVED_PRODUCT_WORDS)) + r")(?:/|\Z))[^/]+"


class IdConverter(BaseConverter):
    """`<id(prefix):name>`: an id that starts with `prefix_`."""

    def __init__(self, url_map, prefix: str):
        super().__init__(url_map)
        self.prefix = prefix
        self.regex = f"{re.escape(prefix)}_[^/]+"


class OrderIdConverter(IdConverter):
    """`<order:order_id>`: an order id, `ord_...`."""

    def __init__(self, url_map):
        super().__init__(url_map, "ord")


ORDER_ID = re.compile(r"ord_[^/]+")


def product_ref_doc(converter) -> dict:
    """OpenAPI schema of a `<product:...>` path parameter."""
    return {"type": "string", "pattern": f"^{NO_NUL_SEGMENT}+$",
            "not": {"enum": sorted(RESERVED_PRODUCT_WORDS)},
            "description": "product id (`prod_...`) or handle; fixed words such as `search` are other routes"}


def id_doc(converter) -> dict:
    """OpenAPI schema of an `<id(prefix):...>` path parameter."""
    return {"type": "string", "pattern": f"^{converter.prefix}_{NO_NUL_SEGMENT}+$",
            "description": f"an id, `{converter.prefix}_...`"}


def _refuse_non_order_ids(endpoint, values) -> None:
    if values and isinstance(values.get("order_id"), str) and not ORDER_ID.fullmatch(values["order_id"]):
        raise NotFound()


def install(app: Flask, api) -> None:
    """Register the converters on `app` (and their OpenAPI schemas on `api`), and the order-id
    preprocessor for routes that still read `order_id` as a plain string. Call before the
    blueprints are registered."""
    app.url_map.converters.update(product=ProductRefConverter, id=IdConverter, order=OrderIdConverter)
    api.register_converter(ProductRefConverter, product_ref_doc)
    api.register_converter(IdConverter, id_doc)
    api.register_converter(OrderIdConverter, id_doc)
    app.url_value_preprocessor(_refuse_non_order_ids)
