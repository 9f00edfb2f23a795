"""URL converters that keep fixed words out of id routes, so that `/products/search`,
`/orders/statistics` or `/admin/fraud/rules/reorder` (with another method) is a route miss
(the generic 404 of an unknown URL, or the 405 of the fixed route it is) instead of
"Product not found" / "Order not found", and `Allow` lists only the methods of that path.

- `<product:product_id>`: a product id (`prod_...`) or handle, never one of
  `RESERVED_PRODUCT_WORDS` (every fixed segment routed under /api/v1/products/ is one; a
  test keeps it so);
- `<id(prefix):name>`: an id of one kind, which always starts with `prefix_` (ids are
  `models.db.new_id(prefix)`), e.g. `<id(cart):cart_id>`;
- `<order:order_id>`: an order id (`ord_...`).

`install(app, api)` registers them (and their OpenAPI schemas).
"""

from __future__ import annotations

import re

from flask import Flask
from werkzeug.routing import BaseConverter

from services import catalog

RESERVED_PRODUCT_WORDS = catalog.RESERVED_HANDLES  # fixed words under /products, never a handle
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


def product_ref_doc(converter) -> dict:
    """OpenAPI schema of a `<product:...>` path parameter."""
    return {"type": "string", "pattern": f"^{NO_NUL_SEGMENT}+$",
            "not": {"enum": sorted(RESERVED_PRODUCT_WORDS)},
            "description": "product id (`prod_...`) or handle; fixed words such as `search` are other routes"}


def id_doc(converter) -> dict:
    """OpenAPI schema of an `<id(prefix):...>` path parameter."""
    return {"type": "string", "pattern": f"^{converter.prefix}_{NO_NUL_SEGMENT}+$",
            "description": f"an id, `{converter.prefix}_...`"}


def install(app: Flask, api) -> None:
    """Register the converters on `app` (and their OpenAPI schemas on `api`). Call before the
    blueprints are registered."""
    app.url_map.converters.update(product=ProductRefConverter, id=IdConverter, order=OrderIdConverter)
    api.register_converter(ProductRefConverter, product_ref_doc)
    api.register_converter(IdConverter, id_doc)
    api.register_converter(OrderIdConverter, id_doc)
