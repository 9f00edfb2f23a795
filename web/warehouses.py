"""Warehouses (seed 000): staff read them (`catalog:stock`), admins manage them (`catalog:write`).

- `GET /api/v1/warehouses`: every warehouse (the default one included), by priority;
- `POST /api/v1/warehouses` `{code, name, regions, address?, location?: {lat, lng},
  shippingEstimates?: {region: {minDays, maxDays}}, priority?, active?}` (201);
- `GET|PUT|DELETE /api/v1/warehouses/{warehouseId}`: PUT changes the fields given; DELETE only
  removes a warehouse that never held stock (409 `warehouse_in_use`: set `active: false`).

Regions are `"*"`, ISO 3166-1 alpha-2 countries (`"US"`) or country and state (`"US-CA"`);
checkout allocates each order to the active warehouses serving its shipping address
(services.orders.allocation), and the estimated delivery is the chosen warehouse's estimate
for the region (days after dispatch). Stock per warehouse: `POST /inventory/restock`,
`POST /inventory/transfer`, purchase orders (web.inventory, web.purchasing).
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import catalog
from web.schemas import CamelSchema, MessageSchema, StrictBoolean, StrictFloat, StrictInteger, ok
from web.security import BEARER_SECURITY, checked, require_admin, require_staff

blp = Blueprint("warehouses", __name__, url_prefix="/api/v1/warehouses", description="Inventory: warehouses")

REGION = validate.Regexp(r"^(\*|[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?)$",
                         error='"*", a country (US) or a country and state (US-CA)')
DAYS = validate.Range(min=0, max=365)


class WarehouseAddressSchema(CamelSchema):
    line1 = ma.fields.String(validate=validate.Length(max=200))
    city = ma.fields.String(validate=validate.Length(max=100))
    state = ma.fields.String(validate=validate.Length(max=100))
    postal_code = ma.fields.String(validate=validate.Length(max=20))
    country = ma.fields.String(validate=validate.Regexp(r"^[A-Z]{2}$", error="ISO 3166-1 alpha-2"))


class WarehouseLocationSchema(ma.Schema):
    lat = StrictFloat(required=True, validate=validate.Range(min=-90, max=90), metadata={"description": "degrees"})
    lng = StrictFloat(required=True, validate=validate.Range(min=-180, max=180), metadata={"description": "degrees"})


class ShippingEstimateSchema(CamelSchema):
    min_days = StrictInteger(required=True, validate=DAYS, metadata={"description": "days after dispatch"})
    max_days = StrictInteger(required=True, validate=DAYS, metadata={"description": "days after dispatch"})


class WarehouseUpdateSchema(CamelSchema):
    code = ma.fields.String(validate=[validate.Length(min=1, max=50), validate.Regexp(r"^[A-Za-z0-9_-]+$")])
    name = ma.fields.String(validate=validate.Length(min=1, max=200))
    address = ma.fields.Nested(WarehouseAddressSchema)
    location = ma.fields.Nested(WarehouseLocationSchema, allow_none=True)
    regions = ma.fields.List(ma.fields.String(validate=REGION), validate=validate.Length(min=1, max=300))
    shipping_estimates = ma.fields.Dict(keys=ma.fields.String(validate=REGION), values=ma.fields.Nested(ShippingEstimateSchema),
                                        validate=validate.Length(max=300),
                                        metadata={"description": "region -> {minDays, maxDays}"})
    priority = StrictInteger(validate=validate.Range(min=0, max=10_000),
                             metadata={"description": "allocation order among equal choices, lower first"})
    active = StrictBoolean(metadata={"description": "false: not sold from nor allocated to"})


class WarehouseInputSchema(WarehouseUpdateSchema):
    code = ma.fields.String(required=True, validate=[validate.Length(min=1, max=50),
                                                     validate.Regexp(r"^[A-Za-z0-9_-]+$")])
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    regions = ma.fields.List(ma.fields.String(validate=REGION), required=True, validate=validate.Length(min=1, max=300))


class WarehouseSchema(ma.Schema):
    id = ma.fields.String()
    code = ma.fields.String()
    name = ma.fields.String()
    isDefault = ma.fields.Boolean()
    address = ma.fields.Dict()
    location = ma.fields.Dict(allow_none=True, metadata={"description": "{lat, lng} degrees"})
    regions = ma.fields.List(ma.fields.String())
    shippingEstimates = ma.fields.Dict(metadata={"description": "region -> {minDays, maxDays}"})
    priority = ma.fields.Integer()
    active = ma.fields.Boolean()
    createdAt = ma.fields.String()
    updatedAt = ma.fields.String()


class WarehouseEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(WarehouseSchema)


class WarehouseListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(WarehouseSchema))


def _fields(body: dict) -> dict:
    """The request body as warehouse_admin's snake_case dict (location split into lat/lng)."""
    data = {k: v for k, v in body.items() if k not in ("location", "shipping_estimates", "address")}
    if "address" in body:
        address = body["address"]
        data["address"] = {("postalCode" if k == "postal_code" else k): v for k, v in address.items()}
    if "location" in body:
        location = body["location"] or {}
        data["latitude"], data["longitude"] = location.get("lat"), location.get("lng")
    if "shipping_estimates" in body:
        data["shipping_estimates"] = {region.upper(): {"minDays": e["min_days"], "maxDays": e["max_days"]}
                                      for region, e in body["shipping_estimates"].items()}
    return data


@blp.route("")
class Warehouses(MethodView):
    @checked(require_staff)
    @blp.response(200, WarehouseListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self):
        """List warehouses by priority (staff)."""
        return ok([catalog.warehouse_view(wh) for wh in catalog.list_warehouses()])

    @checked(require_admin)
    @blp.arguments(WarehouseInputSchema)
    @blp.response(201, WarehouseEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, body):
        """Add a warehouse with the regions it serves and its delivery estimates (admin)."""
        return ok(catalog.warehouse_view(catalog.create_warehouse(_fields(body))), 201)


@blp.route("/<id(wh):warehouse_id>")
class WarehouseById(MethodView):
    @checked(require_staff)
    @blp.response(200, WarehouseEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, warehouse_id):
        """Get a warehouse (staff)."""
        return ok(catalog.warehouse_view(catalog.get_warehouse(warehouse_id)))

    @checked(require_admin)
    @blp.arguments(WarehouseUpdateSchema)
    @blp.response(200, WarehouseEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def put(self, body, warehouse_id):
        """Change a warehouse; `active: false` stops selling from it (admin)."""
        return ok(catalog.warehouse_view(catalog.update_warehouse(warehouse_id, _fields(body))))

    @checked(require_admin)
    @blp.response(200, MessageSchema)
    @blp.doc(security=BEARER_SECURITY)
    def delete(self, warehouse_id):
        """Delete a warehouse that never held stock (admin)."""
        catalog.delete_warehouse(warehouse_id)
        return {"message": f"Warehouse {warehouse_id} deleted"}
