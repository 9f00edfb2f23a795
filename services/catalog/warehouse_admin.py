"""Managing warehouses (seed 000): staff create, change, deactivate and delete them.

Writes take a snake_case dict `{"code", "name", "address", "latitude", "longitude", "regions",
"shipping_estimates", "priority", "active"}` (field meanings: models.catalog.Warehouse).
Rules checked here, beyond the request schema's shapes:
- `code` unique (409 `warehouse_code_taken`);
- every key of `shipping_estimates` is `"*"` or a region the warehouse serves (`"US-CA"`
  under `"US"` or `"*"`), and
  `minDays <= maxDays` (422 `invalid_shipping_estimate`);
- the default warehouse keeps serving every region (`"*"`, 422 `default_warehouse_regions`),
  is never deleted (409 `default_warehouse`), but may be deactivated;
- a warehouse that ever held stock (it has ledger movements or reservations) or is named by
  purchase orders or orders cannot be deleted (409 `warehouse_in_use`), so audits keep adding
  up: deactivate it instead. Deleting an unused one drops its reorder rules.
"""

from __future__ import annotations

from peewee import fn

from models.catalog import Warehouse
from models.db import atomic, isoformat, utcnow
from models.inventory import StockMovement, StockReservation
from models.orders import OrderAllocation
from models.purchasing import PurchaseOrder
from services.catalog.warehouses import DEFAULT_WAREHOUSE_ID, EVERYWHERE, default_warehouse, region_match
from services.errors import Conflict, NotFound, ValidationFailed

FIELDS = ("code", "name", "address", "latitude", "longitude", "regions", "shipping_estimates", "priority", "active")


def get_warehouse(warehouse_id: str) -> Warehouse:
    """The warehouse `wh_...`. Raises NotFound (`warehouse_not_found`)."""
    if warehouse_id == DEFAULT_WAREHOUSE_ID:
        return default_warehouse()
    found = Warehouse.get_or_none(Warehouse.id == warehouse_id)
    if found is None:
        raise NotFound("Warehouse not found", reason="warehouse_not_found")
    return found


def list_warehouses() -> list[Warehouse]:
    """Every warehouse (the default one included), by priority then code."""
    default_warehouse()
    return list(Warehouse.select().order_by(Warehouse.priority, Warehouse.code))


def _check(wh: Warehouse) -> None:
    regions = [r.upper() for r in wh.regions or []]
    if wh.id == DEFAULT_WAREHOUSE_ID and EVERYWHERE not in regions:
        raise ValidationFailed("The default warehouse serves every region", reason="default_warehouse_regions",
                               details=[{"field": "regions", "message": 'Must include "*"'}])
    for region, estimate in (wh.shipping_estimates or {}).items():
        country, _, state = region.upper().partition("-")
        if region != EVERYWHERE and region_match(regions, {"country": country, "state": state}) is None:
            raise ValidationFailed(f"Estimate for a region not served: {region}", reason="invalid_shipping_estimate",
                                   details=[{"field": f"shippingEstimates.{region}", "message": "Not in regions"}])
        if estimate["minDays"] > estimate["maxDays"]:
            raise ValidationFailed("minDays is after maxDays", reason="invalid_shipping_estimate",
                                   details=[{"field": f"shippingEstimates.{region}.minDays",
                                             "message": "Must be <= maxDays"}])


def _save(wh: Warehouse, data: dict, create: bool) -> Warehouse:
    for name in FIELDS:
        if name in data:
            value = data[name]
            setattr(wh, name, [r.upper() for r in value] if name == "regions" else value)
    _check(wh)
    if Warehouse.select().where(fn.LOWER(Warehouse.code) == wh.code.lower(), Warehouse.id != (wh.id or "")).exists():
        raise Conflict(f"A warehouse with code {wh.code!r} exists", reason="warehouse_code_taken",
                       details=[{"field": "code", "message": "Already used"}])
    wh.updated_at = utcnow()
    wh.save(force_insert=create)
    return wh


def create_warehouse(data: dict) -> Warehouse:
    """A new warehouse from `data` (module docstring; `code`, `name` and `regions` required by
    the schema). Raises Conflict (`warehouse_code_taken`), ValidationFailed."""
    with atomic():
        default_warehouse()
        return _save(Warehouse(), data, create=True)


def update_warehouse(warehouse_id: str, data: dict) -> Warehouse:
    """Change the fields present in `data`. Raises NotFound, Conflict, ValidationFailed (module docstring)."""
    with atomic():
        return _save(get_warehouse(warehouse_id), data, create=False)


def delete_warehouse(warehouse_id: str) -> None:
    """Delete an unused warehouse (module docstring). Raises NotFound (`warehouse_not_found`),
    Conflict (`default_warehouse`, `warehouse_in_use`)."""
    with atomic():
        wh = get_warehouse(warehouse_id)
        if wh.id == DEFAULT_WAREHOUSE_ID:
            raise Conflict("The default warehouse cannot be deleted", reason="default_warehouse")
        in_use = (StockMovement.select().where(StockMovement.warehouse == wh.id).exists()  # its ledger stays
                  or StockReservation.select().where(StockReservation.warehouse == wh.id).exists()
                  or PurchaseOrder.select().where(PurchaseOrder.warehouse == wh.id).exists()
                  or OrderAllocation.select().where(OrderAllocation.warehouse == wh.id).exists())
        if in_use:
            raise Conflict("The warehouse holds stock or is named by orders: deactivate it instead",
                           reason="warehouse_in_use")
        wh.delete_instance(recursive=False)


def warehouse_view(wh: Warehouse) -> dict:
    """`{"id", "code", "name", "isDefault", "address", "location": {"lat", "lng"} | null,
    "regions", "shippingEstimates", "priority", "active", "createdAt", "updatedAt"}`
    (estimates in days)."""
    location = ({"lat": wh.latitude, "lng": wh.longitude}
                if wh.latitude is not None and wh.longitude is not None else None)
    return {"id": wh.id, "code": wh.code, "name": wh.name, "isDefault": bool(wh.is_default),
            "address": wh.address or {}, "location": location, "regions": wh.regions or [],
            "shippingEstimates": wh.shipping_estimates or {}, "priority": wh.priority, "active": bool(wh.active),
            "createdAt": isoformat(wh.created_at), "updatedAt": isoformat(wh.updated_at)}
