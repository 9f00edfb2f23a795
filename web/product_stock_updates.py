"""Live product stock as Server-Sent Events (seed 001 "Real-time Features": `stock-updates`).

`GET /api/v1/products/stock-updates?productIds=prod_a,prod_b` (alias
`/api/v1/realtime/stock-updates`): stock of up to 50 active products; public. Events are
`event: stock-update` (data: productId, inventoryCount, available, variants[{variantId,
inventoryCount, available}]), the current stock of each product first, then every change.
The protocol, keep-alives, time limit and the per-process cap are web.sse's.
"""

from __future__ import annotations

import re

import marshmallow as ma
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import catalog
from services.errors import NotFound, ValidationFailed
from web.schemas import CamelSchema
from web.sse import StateStream, documents_stream, event_stream, stream_options

blp = Blueprint("product_stock_updates", __name__, url_prefix="/api/v1",
                description="Live updates (Server-Sent Events): product stock changes")

MAX_PRODUCT_IDS = 50
PRODUCT_ID = re.compile(r"^prod_[0-9A-Za-z]{1,40}$")


class VariantStockSchema(ma.Schema):
    variantId = ma.fields.String(required=True)
    inventoryCount = ma.fields.Integer(required=True, metadata={"description": "available units (on hand minus "
                                                                             "reserved by carts)"})
    available = ma.fields.Boolean(required=True)


class StockUpdateEventSchema(ma.Schema):
    """`data` of a `stock-update` event: a product's available units (on hand minus reserved by carts),
    in all and per live variant."""

    productId = ma.fields.String(required=True)
    inventoryCount = ma.fields.Integer(required=True, metadata={"description": "available units, all variants"})
    available = ma.fields.Boolean(required=True)
    variants = ma.fields.List(ma.fields.Nested(VariantStockSchema), required=True)


STOCK_EVENTS = {"stock-update": StockUpdateEventSchema}


_ONE_ID = PRODUCT_ID.pattern[1:-1]
PRODUCT_IDS_PATTERN = f"^{_ONE_ID}(?:,{_ONE_ID}){{0,{MAX_PRODUCT_IDS - 1}}}$"


class StockUpdatesQueryArgsSchema(CamelSchema):
    product_ids = ma.fields.String(required=True, validate=validate.Length(min=1, max=MAX_PRODUCT_IDS * 48),
                                   metadata={"description": f"Comma-separated product ids (at most {MAX_PRODUCT_IDS})",
                                             "pattern": PRODUCT_IDS_PATTERN})


def parse_product_ids(raw: str) -> list[str]:
    """`prod_a,prod_b` -> unique ids in order. Raises ValidationFailed (422) for a malformed
    or empty id, or more than `MAX_PRODUCT_IDS` ids: exactly what `PRODUCT_IDS_PATTERN` says."""
    parts = raw.split(",")
    ids = list(dict.fromkeys(parts))
    bad = [pid or '""' for pid in ids if not PRODUCT_ID.match(pid)]
    if bad or len(parts) > MAX_PRODUCT_IDS:
        message = (f"Malformed product ids: {', '.join(bad[:5])}" if bad
                   else f"Give 1 to {MAX_PRODUCT_IDS} product ids")
        raise ValidationFailed(message, reason="invalid_product_ids",
                               details=[{"field": "productIds",
                                         "message": f"Comma-separated prod_... ids, at most {MAX_PRODUCT_IDS}"}])
    return ids


def stock_updates_stream(raw_ids: str) -> Response:
    """The stock stream of active products `raw_ids` (NotFound naming any unknown one)."""
    ids = parse_product_ids(raw_ids)
    missing = [pid for pid in ids if pid not in catalog.active_products(ids)]
    if missing:
        raise NotFound(f"Product not found: {', '.join(missing[:5])}", reason="product_not_found",
                       details=[{"field": "productIds", "message": f"Unknown or inactive: {pid}"}
                                for pid in missing[:MAX_PRODUCT_IDS]])

    def read(keys):
        return catalog.product_stock_views(ids if keys is None else [k for k in ids if k in keys])

    def key_of(data):
        value = data.get("productId")
        return value if isinstance(value, str) and value in ids else None

    stream = StateStream("stock-update", [catalog.stock_channel(pid) for pid in ids], read, key_of,
                         **stream_options())
    return event_stream(stream.generate)


STOCK_EVENTS_DOC = ("text/event-stream: `stock-update` events (productId, inventoryCount, available, "
                    "variants[{variantId, inventoryCount, available}]), the current stock first")


@blp.route("/products/stock-updates")
class StockUpdatesStream(MethodView):
    @blp.arguments(StockUpdatesQueryArgsSchema, location="query")
    @documents_stream(blp, STOCK_EVENTS_DOC, STOCK_EVENTS)
    def get(self, args):
        """Stream stock changes of products as Server-Sent Events."""
        return stock_updates_stream(args["product_ids"])


@blp.route("/realtime/stock-updates")
class RealtimeStockUpdates(MethodView):
    @blp.arguments(StockUpdatesQueryArgsSchema, location="query")
    @documents_stream(blp, STOCK_EVENTS_DOC, STOCK_EVENTS)
    def get(self, args):
        """Stream stock changes of products (seed 001 path; same as /products/stock-updates)."""
        return stock_updates_stream(args["product_ids"])
