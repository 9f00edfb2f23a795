"""A product's stock (staff): set or adjust one variant's units on hand in a warehouse
(`warehouseId`, default: the default warehouse); the movement records who did it.

Every change is an `adjustment` movement of the stock ledger and may alert staff (`stock.low`,
judged on available units); setting fewer units than carts have reserved is 409
`stock_reserved`, and an adjustment may remove only available units (409 `out_of_stock`).
The product JSON's `inventoryCount` is the available count (on hand minus reserved, summed
over the active warehouses)."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import catalog
from services.catalog import MAX_PRICE
from web.products import ProductEnvelopeSchema, product_response
from web.schemas import WAREHOUSE_ID, CamelSchema, StrictInteger
from web.security import BEARER_SECURITY, checked, require_staff

blp = Blueprint("product_stock", __name__, url_prefix="/api/v1/products", description="Catalog: product stock")


class StockUpdateSchema(CamelSchema):
    """Set (`inventoryCount`) or change (`adjustment`) one variant's units on hand: exactly one of the two."""

    JSON_SCHEMA = {"oneOf": [{"required": ["inventoryCount"]}, {"required": ["adjustment"]}]}

    variant_id = ma.fields.String(validate=validate.Length(max=40),
                                  metadata={"description": "optional when the product has one variant"})
    warehouse_id = ma.fields.String(validate=validate.Regexp(WAREHOUSE_ID),
                                    metadata={"description": "default: the default warehouse"})
    inventory_count = StrictInteger(validate=validate.Range(min=0, max=MAX_PRICE))
    adjustment = StrictInteger(validate=validate.Range(min=-MAX_PRICE, max=MAX_PRICE))

    @ma.validates_schema
    def exactly_one_amount(self, data, **kwargs):
        if ("inventory_count" in data) == ("adjustment" in data):
            raise ma.ValidationError("Give exactly one of inventoryCount or adjustment", "inventoryCount")


@blp.route("/<product:product_id>/stock")
class ProductStock(MethodView):
    @blp.response(200, ProductEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_staff)
    @blp.arguments(StockUpdateSchema)
    def put(self, args, product_id):
        """Set or adjust a variant's stock; returns the product (staff)."""
        if args.get("warehouse_id"):
            catalog.get_warehouse(args["warehouse_id"])  # 404 for an unknown one
        product = catalog.set_product_stock(product_id, **args, actor_id=require_staff().id)
        return product_response(catalog.product_view(product))
