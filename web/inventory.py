"""Inventory (issue 9; seeds 004 and 001): a variant's stock, cart reservations, back-in-stock
requests, and for staff (permission `catalog:stock`) the low-stock list, restocks and reports.

- `GET /inventory/{productId}/variants/{variantId}`: open to everyone (active products); shoppers
  get `available` (units they can buy: on hand minus reserved), `inStock` and `lowStock`; staff
  also `onHand`, `reserved`, `threshold` and the per-warehouse levels (business data).
- `POST /inventory/reserve` `{items: [{productId, variantId, quantity}], cartId,
  reservationMinutes (1..1440, default 15)}`: the cart holds the units until `expiresAt`. The
  caller must be able to see the cart (a guest cart by its id, a customer's only by that customer
  or staff; anybody else's is the 404 of an unknown cart). Re-reserving a variant for the same
  cart replaces its hold and restarts its expiry. 201 with the reservations; 409 `out_of_stock`
  when any item cannot be held (nothing is held then), `cart_not_active` for a converted or
  expired cart. Checkout consumes the cart's reservations; an expiry task releases the others.
- `DELETE /inventory/reserve/{cartId}`: release the cart's reservations (200 with the units given back).
- `POST|DELETE /inventory/{productId}/variants/{variantId}/notify`: a signed-in caller asks (201;
  200 when already asked) or stops asking (204) to be told when the variant is available again.
- `GET /inventory/low-stock?warehouseId=` (staff): variants at or below their threshold (in one
  warehouse, else summed over the active ones), paginated.
- `POST /inventory/restock` (staff) `{variantId, quantity, warehouseId?, note?}`: record units received.
- `POST /inventory/transfer` (staff) `{variantId, fromWarehouseId, toWarehouseId, quantity, note?}`:
  move available units between warehouses (409 `out_of_stock` when the source has fewer).
- Stock shown to shoppers is summed over the active warehouses (web.warehouses); a reservation
  may name `warehouseId`, else it holds in the first active warehouse with the units.
- `GET /inventory/reports?format=json|csv&days=30` (staff): 202 with an `inventory_report` job (poll
  `Location`); its result is the report, also downloadable from `GET /inventory/reports/{jobId}`
  (JSON) and `GET /inventory/reports/{jobId}/csv` (the per-variant table; the result's `downloadUrl`
  is the one of the format asked for).
"""

from __future__ import annotations

import marshmallow as ma
from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from models.db import isoformat
from services import catalog, orders
from web.jobview import submit
from web.schemas import (WAREHOUSE_ID, CamelSchema, ErrorEnvelopeSchema, JobEnvelopeSchema, PaginationArgsSchema,
                         PaginationSchema, StrictInteger, ok, pagination)
from web.security import BEARER_SECURITY, OPTIONAL_BEARER_SECURITY, checked, current_user, require_staff, require_user

blp = Blueprint("inventory", __name__, url_prefix="/api/v1/inventory", description="Inventory: stock, reservations")

ID = dict(required=True, validate=validate.Length(min=1, max=40))
UNITS = dict(required=True, validate=validate.Range(min=1, max=1_000_000), metadata={"description": "units, >= 1"})


class WarehouseLevelSchema(ma.Schema):
    warehouseId = ma.fields.String()
    code = ma.fields.String()
    active = ma.fields.Boolean(metadata={"description": "inactive warehouses are not sold from"})
    onHand = ma.fields.Integer()
    reserved = ma.fields.Integer()
    available = ma.fields.Integer()


class VariantInventorySchema(ma.Schema):
    """A variant's stock (units, summed over the active warehouses). `onHand`, `reserved`, `threshold`
    and `warehouses` are given to staff only."""

    productId = ma.fields.String()
    variantId = ma.fields.String()
    sku = ma.fields.String(allow_none=True)
    available = ma.fields.Integer(metadata={"description": "units a shopper can buy: on hand minus reserved"})
    inStock = ma.fields.Boolean()
    lowStock = ma.fields.Boolean(metadata={"description": "available <= the variant's low-stock threshold"})
    onHand = ma.fields.Integer(metadata={"description": "staff only"})
    reserved = ma.fields.Integer(metadata={"description": "staff only: held by carts"})
    threshold = ma.fields.Integer(metadata={"description": "staff only: low-stock threshold"})
    warehouses = ma.fields.List(ma.fields.Nested(WarehouseLevelSchema), metadata={"description": "staff only"})


class VariantInventoryEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(VariantInventorySchema)


class ReserveItemSchema(CamelSchema):
    """An item to hold: `quantity` units of the variant; for a variant sold by weight, grams, or with
    `weight` pieces of that many grams (quantity x weight grams held)."""

    product_id = ma.fields.String(**ID)
    variant_id = ma.fields.String(**ID)
    quantity = StrictInteger(**UNITS)
    weight = StrictInteger(allow_none=True, validate=validate.Range(min=1, max=catalog.MAX_PIECE_GRAMS), metadata={
        "description": "grams per piece, only for a variant sold by weight (a multiple of its weightStepGrams, "
                       "at least its minWeightGrams); a unit variant refuses it (422 weight_not_applicable)"})


class ReserveSchema(CamelSchema):
    """Hold units for a cart."""

    cart_id = ma.fields.String(**ID)
    items = ma.fields.List(ma.fields.Nested(ReserveItemSchema), required=True,
                           validate=validate.Length(min=1, max=100))
    warehouse_id = ma.fields.String(validate=validate.Regexp(WAREHOUSE_ID), metadata={
        "description": "hold in this warehouse; default: the first active warehouse (by priority) with the units"})
    reservation_minutes = StrictInteger(
        load_default=catalog.DEFAULT_RESERVATION_MINUTES,
        validate=validate.Range(min=1, max=catalog.MAX_RESERVATION_MINUTES),
        metadata={"description": "how long the units are held, minutes (1..1440, default 15)"})


class ReservationSchema(ma.Schema):
    id = ma.fields.String()
    cartId = ma.fields.String()
    productId = ma.fields.String()
    variantId = ma.fields.String()
    warehouseId = ma.fields.String()
    quantity = ma.fields.Integer(metadata={"description": "units held"})
    status = ma.fields.String(metadata={"description": "active | consumed | released | expired"})
    expiresAt = ma.fields.String()
    createdAt = ma.fields.String()


class ReservationSetSchema(ma.Schema):
    cartId = ma.fields.String()
    expiresAt = ma.fields.String(metadata={"description": "when these holds end unless checked out"})
    reservations = ma.fields.List(ma.fields.Nested(ReservationSchema))


class ReservationSetEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(ReservationSetSchema)
    message = ma.fields.String()


class ReleasedSchema(ma.Schema):
    cartId = ma.fields.String()
    releasedUnits = ma.fields.Integer(metadata={"description": "units given back to available"})


class ReleasedEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(ReleasedSchema)
    message = ma.fields.String()


class BackInStockRequestSchema(ma.Schema):
    id = ma.fields.String()
    productId = ma.fields.String()
    variantId = ma.fields.String()
    createdAt = ma.fields.String()


class BackInStockEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(BackInStockRequestSchema)
    message = ma.fields.String()


class LowStockRowSchema(ma.Schema):
    productId = ma.fields.String()
    productName = ma.fields.String()
    variantId = ma.fields.String()
    variantName = ma.fields.String()
    sku = ma.fields.String(allow_none=True)
    onHand = ma.fields.Integer()
    reserved = ma.fields.Integer()
    available = ma.fields.Integer()
    threshold = ma.fields.Integer()
    warehouseId = ma.fields.String(allow_none=True, metadata={"description": "null: summed over active warehouses"})


class LowStockListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(LowStockRowSchema))
    pagination = ma.fields.Nested(PaginationSchema)


class RestockSchema(CamelSchema):
    """Units received for a variant."""

    variant_id = ma.fields.String(**ID)
    quantity = StrictInteger(**UNITS)
    warehouse_id = ma.fields.String(validate=validate.Regexp(WAREHOUSE_ID),
                                    metadata={"description": "default: the default warehouse"})
    note = ma.fields.String(load_default="", validate=validate.Length(max=500))


class TransferSchema(CamelSchema):
    """Units moved from one warehouse to another."""

    variant_id = ma.fields.String(**ID)
    from_warehouse_id = ma.fields.String(required=True, validate=validate.Regexp(WAREHOUSE_ID))
    to_warehouse_id = ma.fields.String(required=True, validate=validate.Regexp(WAREHOUSE_ID))
    quantity = StrictInteger(**UNITS)
    note = ma.fields.String(load_default="", validate=validate.Length(max=500))


class TransferResultSchema(ma.Schema):
    variantId = ma.fields.String()
    fromWarehouseId = ma.fields.String()
    toWarehouseId = ma.fields.String()
    quantity = ma.fields.Integer(metadata={"description": "units moved"})
    fromAvailable = ma.fields.Integer(metadata={"description": "units available at the source after"})
    toAvailable = ma.fields.Integer(metadata={"description": "units available at the destination after"})


class TransferEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(TransferResultSchema)
    message = ma.fields.String()


class LowStockArgsSchema(PaginationArgsSchema):
    warehouseId = ma.fields.String(validate=validate.Regexp(WAREHOUSE_ID), metadata={
        "description": "one warehouse's levels; default: summed over the active warehouses"})


class RestockResultSchema(ma.Schema):
    variantId = ma.fields.String()
    warehouseId = ma.fields.String()
    quantity = ma.fields.Integer(metadata={"description": "units added"})
    onHand = ma.fields.Integer(metadata={"description": "units on hand after the restock"})
    available = ma.fields.Integer()


class RestockEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(RestockResultSchema)
    message = ma.fields.String()


class ReportArgsSchema(CamelSchema):
    format = ma.fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))
    days = ma.fields.Integer(load_default=30, validate=validate.Range(min=1, max=366),
                             metadata={"description": "the window, days before now (1..366)"})


class InventoryReportSchema(ma.Schema):
    """The report (services.catalog.inventory_reports): units, money in minor units of `currency`."""

    format = ma.fields.String(metadata={"description": "json | csv: the format asked for"})
    days = ma.fields.Integer()
    from_ = ma.fields.String(data_key="from", metadata={"description": "window start (ISO 8601, UTC)"})
    to = ma.fields.String(metadata={"description": "window end (ISO 8601, UTC)"})
    generatedAt = ma.fields.String()
    currency = ma.fields.String()
    downloadUrl = ma.fields.String()
    warehouses = ma.fields.List(ma.fields.Dict(), metadata={"description": "warehouseId, code, name, units, "
                                                                           "reserved, value"})
    movements = ma.fields.List(ma.fields.Dict(), metadata={"description": "kind, count, quantity, reservedChange"})
    variants = ma.fields.List(ma.fields.Dict(), metadata={"description": "warehouseId, productId, productName, "
                                                                         "variantId, sku, onHand, reserved, value, "
                                                                         "unitsSold, sellThrough, daysOfCover"})



CSV_DOC = ("The report's per-variant table, header first: warehouseId, productId, productName, variantId, sku, "
           "onHand, reserved, value, unitsSold, sellThrough, daysOfCover")
REPORT_JOB = ("Report job accepted; poll Location. Its result is the report: {format, days, from, to, generatedAt, "
              "currency, warehouses, movements, variants, downloadUrl}")


def _reservations_response(cart_id: str, rows, status: int = 201):
    views = [catalog.reservation_view(r) for r in rows]
    expires = min((v["expiresAt"] for v in views), default=None)
    return ok({"cartId": cart_id, "expiresAt": expires, "reservations": views}, status,
              message="Stock reserved")


@blp.route("/<id(prod):product_id>/variants/<id(var):variant_id>")
class VariantInventory(MethodView):
    @blp.response(200, VariantInventoryEnvelopeSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def get(self, product_id, variant_id):
        """Get a variant's stock: available and low stock (staff: also on hand, reserved, threshold)."""
        user = current_user()
        return ok(catalog.variant_inventory(product_id, variant_id, staff=bool(user and user.is_staff)))


@blp.route("/<id(prod):product_id>/variants/<id(var):variant_id>/notify")
class BackInStockNotify(MethodView):
    @checked(require_user)
    @blp.response(201, BackInStockEnvelopeSchema)
    @blp.alt_response(200, schema=BackInStockEnvelopeSchema, description="You had already asked")
    @blp.doc(security=BEARER_SECURITY)
    def post(self, product_id, variant_id):
        """Ask to be notified when this variant is back in stock."""
        request_row, created = catalog.subscribe_back_in_stock(require_user(), product_id, variant_id)
        return ok({"id": request_row.id, "productId": product_id, "variantId": variant_id,
                   "createdAt": isoformat(request_row.created_at)},
                  201 if created else 200, message="We will tell you when it is back")

    @checked(require_user)
    @blp.response(204)
    @blp.doc(security=BEARER_SECURITY)
    def delete(self, product_id, variant_id):
        """Stop asking to be notified when this variant is back in stock."""
        catalog.unsubscribe_back_in_stock(require_user(), product_id, variant_id)
        return "", 204


@blp.route("/reserve")
class Reserve(MethodView):
    @blp.arguments(ReserveSchema)
    @blp.response(201, ReservationSetEnvelopeSchema)
    @blp.alt_response(409, schema=ErrorEnvelopeSchema, description="Not enough available units (out_of_stock), or "
                                                                   "the cart is not active")
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def post(self, body):
        """Reserve stock for a cart for reservationMinutes (re-reserving replaces the cart's hold)."""
        cart = orders.get_cart(body["cart_id"], current_user())
        rows = catalog.reserve_stock(cart.id, body["items"], body["reservation_minutes"],
                                     warehouse_id=body.get("warehouse_id"))
        return _reservations_response(cart.id, rows)


@blp.route("/reserve/<id(cart):cart_id>")
class ReserveByCart(MethodView):
    @blp.response(200, ReleasedEnvelopeSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def delete(self, cart_id):
        """Release a cart's stock reservations."""
        cart = orders.get_cart(cart_id, current_user())
        units = catalog.release_reservations(cart.id)
        return ok({"cartId": cart.id, "releasedUnits": units}, message="Reservations released")


@blp.route("/low-stock")
class LowStock(MethodView):
    @checked(require_staff)
    @blp.arguments(LowStockArgsSchema, location="query")
    @blp.response(200, LowStockListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """List variants at or below their low-stock threshold, fewest available first (staff)."""
        if args.get("warehouseId"):
            catalog.get_warehouse(args["warehouseId"])  # 404 for an unknown one
        rows, total = catalog.low_stock(args["page"], args["limit"], warehouse_id=args.get("warehouseId"))
        return ok(rows, pagination=pagination(args["page"], args["limit"], total))


@blp.route("/transfer")
class Transfer(MethodView):
    @checked(require_staff)
    @blp.arguments(TransferSchema)
    @blp.response(201, TransferEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, body):
        """Move available units of a variant from one warehouse to another (staff): two `transfer` movements."""
        for field in ("from_warehouse_id", "to_warehouse_id"):
            catalog.get_warehouse(body[field])  # 404 for an unknown one
        levels = catalog.transfer_stock(body["variant_id"], body["from_warehouse_id"], body["to_warehouse_id"],
                                        body["quantity"], actor_id=require_staff().id, note=body["note"])
        return ok({"variantId": body["variant_id"], "fromWarehouseId": body["from_warehouse_id"],
                   "toWarehouseId": body["to_warehouse_id"], "quantity": body["quantity"],
                   "fromAvailable": levels["from"], "toAvailable": levels["to"]}, 201, message="Transfer recorded")


@blp.route("/restock")
class Restock(MethodView):
    @checked(require_staff)
    @blp.arguments(RestockSchema)
    @blp.response(201, RestockEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, body):
        """Record a restock of a variant (staff); waiting customers are notified when it is back."""
        wh = body.get("warehouse_id") or catalog.default_warehouse_id()
        on_hand = catalog.restock(body["variant_id"], body["quantity"], warehouse_id=wh,
                                  actor_id=require_staff().id, note=body["note"])
        available = catalog.stock_levels([body["variant_id"]], warehouse_id=wh)[body["variant_id"]]
        return ok({"variantId": body["variant_id"], "warehouseId": wh, "quantity": body["quantity"],
                   "onHand": on_hand, "available": available}, 201, message="Restock recorded")


@blp.route("/reports")
class Reports(MethodView):
    @checked(require_staff)
    @blp.arguments(ReportArgsSchema, location="query")
    @blp.response(202, JobEnvelopeSchema, description=REPORT_JOB)
    @blp.alt_response(200, schema=JobEnvelopeSchema, description="With Prefer: wait=N, the finished job")
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """Build an inventory report (a job): stock and value per warehouse, movements, sell-through, days of cover."""
        user = require_staff()
        return submit(lambda: catalog.start_inventory_report(user, args["days"], args["format"]), body=args)


@blp.route("/reports/<id(job):job_id>")
class ReportDownload(MethodView):
    @checked(require_staff)
    @blp.response(200, InventoryReportSchema, content_type="application/json",
                  description="The report as a JSON attachment")
    @blp.alt_response(404, schema=ErrorEnvelopeSchema, description="No report job with this id")
    @blp.alt_response(409, schema=ErrorEnvelopeSchema, description="The report job has not succeeded (yet)")
    @blp.doc(security=BEARER_SECURITY)
    def get(self, job_id):
        """Download a finished inventory report as JSON (staff)."""
        response = jsonify(catalog.finished_report(job_id))
        response.headers["Content-Disposition"] = f'attachment; filename="inventory-report-{job_id}.json"'
        return response


@blp.route("/reports/<id(job):job_id>/csv")
class ReportCsv(MethodView):
    @checked(require_staff)
    @blp.response(200, description=CSV_DOC, content_type="text/csv")
    @blp.alt_response(404, schema=ErrorEnvelopeSchema, description="No report job with this id")
    @blp.alt_response(409, schema=ErrorEnvelopeSchema, description="The report job has not succeeded (yet)")
    @blp.doc(security=BEARER_SECURITY)
    def get(self, job_id):
        """Download a finished inventory report's per-variant table as CSV (staff)."""
        return Response(catalog.report_csv(catalog.finished_report(job_id)), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="inventory-report-{job_id}.csv"'})
