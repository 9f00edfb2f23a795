"""URL converters that keep fixed words out of id routes, so that `/products/search` or
`/orders/analytics` is a route miss (the generic 404 of an unknown URL, or the 405 of the
fixed route it is) instead of "Product not found" / "Order not found".

- `<product:product_id>`: a product id (`prod_...`) or handle, never a reserved word: the
  fixed words of `RESERVED_PRODUCT_WORDS` and every static segment routed under
  `/api/v1/products/` (e.g. `trending`, `stock-updates`), including ones added later.
- `<order:order_id>`: an order id, which always starts with `ord_`.

`install(app)` registers both; until every route with an `order_id` uses `<order:...>`, a URL
value preprocessor answers the generic 404 for any `order_id` that is not `ord_...`.
"""

from __future__ import annotations

import re

from flask import Flask
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter, ValidationError

PRODUCTS_PREFIX = "/api/v1/products/"
# Fixed words clients use for product collections; never product handles.
RESERVED_PRODUCT_WORDS = frozenset({
    "search", "featured", "trending", "recommendations", "stock-updates", "related", "new", "new-arrivals",
    "popular", "best-sellers", "bestsellers", "categories", "tags", "brands", "vendors", "collections",
    "export", "import", "bulk", "count", "stats", "analytics", "events", "stream", "suggestions",
    "autocomplete", "filters", "compare",
})
ORDER_ID = re.compile(r"ord_[^/]+")
_STATIC_SEGMENT = re.compile(r"^[^<>/]+$")


def reserved_product_words(url_map) -> frozenset[str]:
    """RESERVED_PRODUCT_WORDS plus the static first segments of every rule under /api/v1/products/."""
    cached = getattr(url_map, "_cartwheel_reserved_product_words", None)
    if cached is None or cached[0] != len(url_map._rules):
        segments = {rule.rule[len(PRODUCTS_PREFIX):].split("/", 1)[0] for rule in url_map.iter_rules()
                    if rule.rule.startswith(PRODUCTS_PREFIX)}
        words = RESERVED_PRODUCT_WORDS | {s.lower() for s in segments if _STATIC_SEGMENT.match(s)}
        cached = (len(url_map._rules), frozenset(words))
        url_map._cartwheel_reserved_product_words = cached
    return cached[1]


class ProductRefConverter(BaseConverter):
    """A product id or handle (one path segment), never a reserved word."""

    def to_python(self, value: str) -> str:
        if value.lower() in reserved_product_words(self.map):
            raise ValidationError()
        return value


class OrderIdConverter(BaseConverter):
    """An order id: `ord_` and at least one more character."""

    regex = ORDER_ID.pattern


PRODUCT_REF_DOC = {"type": "string", "minLength": 1,
                   "description": "product id (`prod_...`) or handle; fixed words such as `search` are other routes",
                   "not": {"enum": sorted(RESERVED_PRODUCT_WORDS)}}
ORDER_ID_DOC = {"type": "string", "pattern": f"^{ORDER_ID.pattern}$", "description": "order id (`ord_...`)"}


def _refuse_non_order_ids(endpoint, values) -> None:
    if values and isinstance(values.get("order_id"), str) and not ORDER_ID.fullmatch(values["order_id"]):
        raise NotFound()


def install(app: Flask, api) -> None:
    """Register the converters on `app` (and their OpenAPI schemas on `api`), and the order-id
    preprocessor for routes that still read `order_id` as a plain string. Call before the
    blueprints are registered."""
    app.url_map.converters["product"] = ProductRefConverter
    app.url_map.converters["order"] = OrderIdConverter
    api.register_converter(ProductRefConverter, lambda converter: dict(PRODUCT_REF_DOC))
    api.register_converter(OrderIdConverter, lambda converter: dict(ORDER_ID_DOC))
    app.url_value_preprocessor(_refuse_non_order_ids)
