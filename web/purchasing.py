"""Purchasing (staff: `catalog:stock`): suppliers, purchase orders and auto-reorder rules.

- `/api/v1/suppliers` (GET list, POST), `/api/v1/suppliers/{id}` (GET, PUT, DELETE: 409
  `supplier_in_use` once it has purchase orders; deactivate it instead);
- `/api/v1/purchase-orders` (GET `?status=&supplierId=` paginated, POST a draft),
  `/api/v1/purchase-orders/{id}` (GET, PUT while a draft), and the steps `POST .../send`,
  `.../receive` (restocks the warehouse), `.../cancel`; a wrong step is 409
  `purchase_order_status`;
- `/api/v1/inventory/reorder-rules` (GET `?variantId=`, PUT one rule per variant and warehouse),
  `/api/v1/inventory/reorder-rules/{id}` (DELETE).

Costs are integer minor units of the shop currency; quantities are units.
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from models.db import isoformat
from models.purchasing import PURCHASE_ORDER_STATUSES
from services import catalog
from services.catalog import MAX_PRICE
from web.schemas import (WAREHOUSE_ID, CamelSchema, MessageSchema, PaginationArgsSchema, PaginationSchema,
                         StrictBoolean, StrictInteger, ok, pagination)
from web.security import BEARER_SECURITY, checked, require_staff

blp = Blueprint("purchasing", __name__, url_prefix="/api/v1", description="Inventory: suppliers, purchase orders, "
                                                                          "reorder rules")

ID = {"supplier": r"^sup_[0-9A-Za-z]{1,40}$", "warehouse": WAREHOUSE_ID,
      "variant": r"^var_[0-9A-Za-z]{1,40}$"}
UNITS = validate.Range(min=1, max=1_000_000)
COST = validate.Range(min=0, max=MAX_PRICE)


def _id(kind: str, **kwargs):
    return ma.fields.String(validate=validate.Regexp(ID[kind]), **kwargs)


# --------------------------------------------------------------------------- suppliers

class SupplierInputSchema(CamelSchema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = ma.fields.Email(allow_none=True, validate=validate.Length(max=254))
    phone = ma.fields.String(allow_none=True, validate=[validate.Length(min=3, max=40),
                                                        validate.Regexp(r"^\+?[0-9 ()-]{3,40}$")])
    lead_time_days = StrictInteger(validate=validate.Range(min=0, max=365),
                                   metadata={"description": "days from sending an order to receiving it (default 7)"})
    is_active = StrictBoolean()


class SupplierUpdateSchema(SupplierInputSchema):
    name = ma.fields.String(validate=validate.Length(min=1, max=200))


class SupplierSchema(CamelSchema):
    id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    email = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    lead_time_days = ma.fields.Integer(required=True)
    is_active = ma.fields.Boolean(required=True)
    created_at = ma.fields.String(required=True)
    updated_at = ma.fields.String(required=True)


class SupplierEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(SupplierSchema, required=True)


class SupplierListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(SupplierSchema), required=True)


def supplier_to_dict(s) -> dict:
    return {"id": s.id, "name": s.name, "email": s.email, "phone": s.phone, "leadTimeDays": s.lead_time_days,
            "isActive": s.is_active, "createdAt": isoformat(s.created_at), "updatedAt": isoformat(s.updated_at)}


@blp.route("/suppliers")
class Suppliers(MethodView):
    @blp.response(200, SupplierListSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_staff)
    def get(self):
        """List suppliers by name (staff)."""
        return ok([supplier_to_dict(s) for s in catalog.list_suppliers()])

    @blp.response(201, SupplierEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_staff)
    @blp.arguments(SupplierInputSchema)
    def post(self, args):
        """Add a supplier (staff)."""
        return ok(supplier_to_dict(catalog.create_supplier(args)), 201)


@blp.route("/suppliers/<id(sup):supplier_id>")
class SupplierById(MethodView):
    @blp.response(200, SupplierEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_staff)
    def get(self, supplier_id):
        """Get a supplier (staff)."""
        return ok(supplier_to_dict(catalog.get_supplier(supplier_id)))

    @blp.response(200, SupplierEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_staff)
    @blp.arguments(SupplierUpdateSchema)
    def put(self, args, supplier_id):
        """Change a supplier; `isActive: false` retires it (staff)."""
        return ok(supplier_to_dict(catalog.update_supplier(supplier_id, args)))

    @blp.response(200, MessageSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_staff)
    def delete(self, supplier_id):
        """Delete a supplier without purchase orders (staff)."""
        catalog.delete_supplier(supplier_id)
        return {"message": f"Supplier {supplier_id} deleted"}


# --------------------------------------------------------------------------- purchase orders

class LineInputSchema(CamelSchema):
    variant_id = _id("variant", required=True)
    quantity = StrictInteger(required=True, validate=UNITS, metadata={"description": "units"})
    unit_cost = StrictInteger(allow_none=True, validate=COST, metadata={"description": "minor units"})


class PurchaseOrderInputSchema(CamelSchema):
    supplier_id = _id("supplier", required=True)
    warehouse_id = _id("warehouse", metadata={"description": "default: the default warehouse"})
    lines = ma.fields.List(ma.fields.Nested(LineInputSchema), required=True,
                           validate=validate.Length(min=1, max=200))
    notes = ma.fields.String(validate=validate.Length(max=5000))
    expected_at = ma.fields.Date(allow_none=True, metadata={"description": "default: today + the supplier's "
                                                                           "lead time"})


class PurchaseOrderUpdateSchema(CamelSchema):
    """Changes to a draft: `lines`, when given, is the complete new list."""

    supplier_id = _id("supplier")
    lines = ma.fields.List(ma.fields.Nested(LineInputSchema), validate=validate.Length(min=1, max=200))
    notes = ma.fields.String(validate=validate.Length(max=5000))
    expected_at = ma.fields.Date(allow_none=True)


class LineSchema(CamelSchema):
    variant_id = ma.fields.String(required=True)
    sku = ma.fields.String(allow_none=True, required=True)
    product_id = ma.fields.String(required=True)
    product_name = ma.fields.String(required=True)
    variant_name = ma.fields.String(required=True)
    quantity = ma.fields.Integer(required=True, metadata={"description": "units"})
    unit_cost = ma.fields.Integer(allow_none=True, required=True, metadata={"description": "minor units"})


class PurchaseOrderSchema(CamelSchema):
    id = ma.fields.String(required=True)
    number = ma.fields.String(required=True, metadata={"description": "PO-{year}-{n}"})
    status = ma.fields.String(required=True, validate=validate.OneOf(PURCHASE_ORDER_STATUSES))
    auto = ma.fields.Boolean(required=True, metadata={"description": "created by an auto-reorder rule"})
    supplier = ma.fields.Nested(SupplierSchema, required=True)
    warehouse_id = ma.fields.String(required=True)
    warehouse_name = ma.fields.String(required=True)
    lines = ma.fields.List(ma.fields.Nested(LineSchema), required=True)
    total_cost = ma.fields.Integer(required=True, metadata={"description": "minor units, lines with a cost"})
    notes = ma.fields.String(required=True)
    expected_at = ma.fields.String(allow_none=True, required=True, metadata={"description": "ISO date"})
    sent_at = ma.fields.String(allow_none=True, required=True)
    received_at = ma.fields.String(allow_none=True, required=True)
    cancelled_at = ma.fields.String(allow_none=True, required=True)
    created_at = ma.fields.String(required=True)


class PurchaseOrderEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(PurchaseOrderSchema, required=True)


class PurchaseOrderListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(PurchaseOrderSchema), required=True)
    pagination = ma.fields.Nested(PaginationSchema, required=True)


class PurchaseOrderQueryArgsSchema(PaginationArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(PURCHASE_ORDER_STATUSES))
    supplier_id = _id("supplier")


def purchase_order_to_dict(view) -> dict:
    o = view.order
    return {"id": o.id, "number": o.number, "status": o.status, "auto": o.auto,
            "supplier": supplier_to_dict(view.supplier), "warehouseId": view.warehouse.id,
            "warehouseName": view.warehouse.name,
            "lines": [{"variantId": line.variant_id, "sku": line.variant.sku, "productId": line.variant.product_id,
                       "productName": line.variant.product.name, "variantName": line.variant.name,
                       "quantity": line.quantity, "unitCost": line.unit_cost} for line in view.lines],
            "totalCost": view.total_cost, "notes": o.notes,
            "expectedAt": o.expected_at.isoformat() if o.expected_at else None,
            "sentAt": isoformat(o.sent_at), "receivedAt": isoformat(o.received_at),
            "cancelledAt": isoformat(o.cancelled_at), "createdAt": isoformat(o.created_at)}


def _answer(order, status: int = 200):
    return ok(purchase_order_to_dict(catalog.purchase_order_view(order.id)), status)


@blp.route("/purchase-orders")
class PurchaseOrders(MethodView):
    @blp.arguments(PurchaseOrderQueryArgsSchema, location="query")
    @blp.response(200, PurchaseOrderListSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_staff)
    def get(self, args):
        """List purchase orders, newest first (staff)."""
        views, total = catalog.list_purchase_orders(**args)
        return {"data": [purchase_order_to_dict(v) for v in views],
                "pagination": pagination(args["page"], args["limit"], total)}

    @blp.response(201, PurchaseOrderEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_staff)
    @blp.arguments(PurchaseOrderInputSchema)
    def post(self, args):
        """Draft a purchase order (staff)."""
        return _answer(catalog.create_purchase_order(args, actor_id=require_staff().id), 201)


@blp.route("/purchase-orders/<id(po):purchase_order_id>")
class PurchaseOrderById(MethodView):
    @blp.response(200, PurchaseOrderEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_staff)
    def get(self, purchase_order_id):
        """Get a purchase order (staff)."""
        return _answer(catalog.get_purchase_order(purchase_order_id))

    @blp.response(200, PurchaseOrderEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_staff)
    @blp.arguments(PurchaseOrderUpdateSchema)
    def put(self, args, purchase_order_id):
        """Change a draft purchase order (staff)."""
        return _answer(catalog.update_purchase_order(purchase_order_id, args))


def _step(name: str, action, doc: str):
    @blp.route(f"/purchase-orders/<id(po):purchase_order_id>/{name}", endpoint=f"purchase_order_{name}")
    class Step(MethodView):
        @blp.response(200, PurchaseOrderEnvelopeSchema)
        @blp.alt_response(409, description="Not allowed from the order's status (`purchase_order_status`)")
        @blp.doc(security=BEARER_SECURITY, summary=doc, description=doc)
        @checked(require_staff)
        def post(self, purchase_order_id):
            return _answer(action(purchase_order_id))

    return Step


SendStep = _step("send", catalog.send_purchase_order, "Mark a draft purchase order sent (staff).")
ReceiveStep = _step("receive", lambda order_id: catalog.receive_purchase_order(order_id, require_staff().id),
                    "Receive a sent purchase order: its units are restocked into its warehouse (staff).")
CancelStep = _step("cancel", catalog.cancel_purchase_order, "Cancel a draft or sent purchase order (staff).")


# --------------------------------------------------------------------------- reorder rules

class ReorderRuleInputSchema(CamelSchema):
    variant_id = _id("variant", required=True)
    warehouse_id = _id("warehouse", metadata={"description": "default: the default warehouse"})
    reorder_point = StrictInteger(required=True, validate=validate.Range(min=0, max=1_000_000),
                                  metadata={"description": "available units at or below which to reorder"})
    reorder_quantity = StrictInteger(required=True, validate=UNITS, metadata={"description": "units to order"})
    supplier_ids = ma.fields.List(_id("supplier"), required=True, validate=validate.Length(min=1, max=10),
                                  metadata={"description": "preferred suppliers, first choice first"})
    unit_cost = StrictInteger(allow_none=True, validate=COST, metadata={"description": "minor units"})
    is_active = StrictBoolean()


class ReorderRuleSchema(CamelSchema):
    id = ma.fields.String(required=True)
    variant_id = ma.fields.String(required=True)
    warehouse_id = ma.fields.String(required=True)
    reorder_point = ma.fields.Integer(required=True)
    reorder_quantity = ma.fields.Integer(required=True)
    supplier_ids = ma.fields.List(ma.fields.String(), required=True)
    unit_cost = ma.fields.Integer(allow_none=True, required=True)
    is_active = ma.fields.Boolean(required=True)
    updated_at = ma.fields.String(required=True)


class ReorderRuleEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(ReorderRuleSchema, required=True)


class ReorderRuleListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(ReorderRuleSchema), required=True)


class ReorderRuleQueryArgsSchema(CamelSchema):
    variant_id = _id("variant")


def rule_to_dict(rule) -> dict:
    return {"id": rule.id, "variantId": rule.variant_id, "warehouseId": rule.warehouse_id,
            "reorderPoint": rule.reorder_point, "reorderQuantity": rule.reorder_quantity,
            "supplierIds": list(rule.supplier_ids or []), "unitCost": rule.unit_cost, "isActive": rule.is_active,
            "updatedAt": isoformat(rule.updated_at)}


@blp.route("/inventory/reorder-rules")
class ReorderRules(MethodView):
    @blp.arguments(ReorderRuleQueryArgsSchema, location="query")
    @blp.response(200, ReorderRuleListSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_staff)
    def get(self, args):
        """List auto-reorder rules (staff)."""
        return ok([rule_to_dict(r) for r in catalog.list_reorder_rules(args.get("variant_id"))])

    @blp.response(200, ReorderRuleEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_staff)
    @blp.arguments(ReorderRuleInputSchema)
    def put(self, args):
        """Set the auto-reorder rule of a variant in a warehouse (staff)."""
        return ok(rule_to_dict(catalog.set_reorder_rule(args)))


@blp.route("/inventory/reorder-rules/<id(rr):rule_id>")
class ReorderRuleById(MethodView):
    @blp.response(200, MessageSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_staff)
    def delete(self, rule_id):
        """Delete an auto-reorder rule (staff)."""
        catalog.delete_reorder_rule(rule_id)
        return {"message": f"Reorder rule {rule_id} deleted"}
