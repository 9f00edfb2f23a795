"""Allocation of an order's units to warehouses (services.orders.allocation): regions served,
fewest shipments first, ties by delivery estimate then priority, the cart's own holds counted,
splitting a variant only when no plan ships it whole, and the errors."""

from __future__ import annotations

import pytest

from services import catalog
from services.errors import InsufficientStock, ValidationFailed
from services.orders import allocation
from tests.factories import first_variant, make_product

JO = {"country": "JO", "city": "Amman"}
US_CA = {"country": "US", "state": "ca", "city": "Los Angeles"}


def warehouse(code, regions, priority=10, estimates=None, active=True):
    return catalog.create_warehouse({"code": code, "name": code.title(), "regions": regions, "priority": priority,
                                     "shipping_estimates": estimates or {}, "active": active})


def stocked(product_stock: dict) -> tuple:
    """A product with one variant; `product_stock` {warehouse id: units} (default warehouse: 0)."""
    product = make_product(stock=product_stock.pop("wh_default", 0))
    variant = first_variant(product)
    for wh, units in product_stock.items():
        catalog.restock(variant.id, units, warehouse_id=wh)
    return product, variant


def plan(shipments):
    return {s.warehouse.code: dict(s.quantities) for s in shipments}


def test_one_warehouse_that_has_everything_beats_a_higher_priority_one_with_part(db):
    near = warehouse("near", ["JO"], priority=1)
    far = warehouse("far", ["*"], priority=50)
    _, a = stocked({near.id: 5, far.id: 5})
    _, b = stocked({far.id: 5})
    shipments = allocation.allocate({a.id: 2, b.id: 1}, JO)
    assert plan(shipments) == {"far": {a.id: 2, b.id: 1}}


def test_warehouses_not_serving_the_region_are_not_used(db):
    us = warehouse("us", ["US"], priority=1)
    _, a = stocked({us.id: 5, "wh_default": 3})
    assert plan(allocation.allocate({a.id: 2}, JO)) == {"default": {a.id: 2}}
    assert plan(allocation.allocate({a.id: 2}, US_CA)) == {"default": {a.id: 2}}  # default has priority 0
    with pytest.raises(InsufficientStock):
        allocation.allocate({a.id: 4}, JO)  # the 5 in "us" cannot ship to Jordan


def test_a_state_region_matches_the_address_state_and_an_unserved_address_is_422(db):
    catalog.update_warehouse("wh_default", {"active": False})
    ca = warehouse("ca", ["US-CA"])
    _, a = stocked({ca.id: 5})
    assert plan(allocation.allocate({a.id: 1}, US_CA)) == {"ca": {a.id: 1}}
    with pytest.raises(ValidationFailed) as exc:
        allocation.allocate({a.id: 1}, {"country": "US", "state": "NY"})
    assert exc.value.reason == "address_not_serviceable" and exc.value.status == 422


def test_two_shipments_when_no_warehouse_has_everything(db):
    w1, w2 = warehouse("w1", ["*"], priority=1), warehouse("w2", ["*"], priority=2)
    _, a = stocked({w1.id: 5})
    _, b = stocked({w2.id: 5})
    assert plan(allocation.allocate({a.id: 1, b.id: 1}, JO)) == {"w1": {a.id: 1}, "w2": {b.id: 1}}


def test_equal_plans_go_to_the_sooner_delivery_then_the_lower_priority(db):
    slow = warehouse("slow", ["*"], priority=1, estimates={"JO": {"minDays": 5, "maxDays": 9}})
    fast = warehouse("fast", ["*"], priority=5, estimates={"*": {"minDays": 1, "maxDays": 2}})
    _, a = stocked({slow.id: 5, fast.id: 5})
    shipments = allocation.allocate({a.id: 1}, JO)
    assert plan(shipments) == {"fast": {a.id: 1}} and shipments[0].estimate == (1, 2)
    catalog.update_warehouse(fast.id, {"shipping_estimates": {"*": {"minDays": 5, "maxDays": 9}}})
    assert plan(allocation.allocate({a.id: 1}, JO)) == {"slow": {a.id: 1}}


def test_a_variant_is_split_only_when_no_warehouse_ships_it_whole(db):
    w1, w2 = warehouse("w1", ["*"], priority=1), warehouse("w2", ["*"], priority=2)
    _, a = stocked({w1.id: 3, w2.id: 3})
    assert plan(allocation.allocate({a.id: 5}, JO)) == {"w1": {a.id: 3}, "w2": {a.id: 2}}
    with pytest.raises(InsufficientStock) as exc:
        allocation.allocate({a.id: 7}, JO)
    assert exc.value.details[0]["message"].startswith("Requested 7, available 6")


def test_the_carts_own_holds_count_as_its_units(db, app):
    from services.orders import carts

    w1 = warehouse("w1", ["*"], priority=1)
    product, a = stocked({w1.id: 1})
    cart = carts.create_cart(None, "USD")
    catalog.reserve_stock(cart.id, [{"product_id": product.id, "variant_id": a.id, "quantity": 1}])
    with pytest.raises(InsufficientStock):
        allocation.allocate({a.id: 1}, JO)  # another cart: the only unit is held
    assert plan(allocation.allocate({a.id: 1}, JO, cart_id=cart.id)) == {"w1": {a.id: 1}}


def test_inactive_warehouses_are_neither_sold_from_nor_allocated(db):
    w1 = warehouse("w1", ["*"], priority=1)
    _, a = stocked({w1.id: 4, "wh_default": 1})
    assert catalog.stock_levels([a.id])[a.id] == 5
    catalog.update_warehouse(w1.id, {"active": False})
    assert catalog.stock_levels([a.id])[a.id] == 1
    with pytest.raises(InsufficientStock):
        allocation.allocate({a.id: 2}, JO)


def test_standard_delivery_follows_the_warehouse_estimate_express_keeps_its_own(db):
    import datetime as dt

    slow = warehouse("slow", ["*"], estimates={"JO": {"minDays": 6, "maxDays": 9}})
    _, a = stocked({slow.id: 5})
    shipments = allocation.allocate({a.id: 1}, JO)
    monday = dt.date(2026, 11, 30)
    assert allocation.estimated_delivery(shipments, "standard", monday) == dt.date(2026, 12, 11)  # 9 business days
    assert allocation.estimated_delivery(shipments, "express", monday) == dt.date(2026, 12, 2)  # express: 2


def _losing_first_race(monkeypatch, taken):
    """Make `allocate` hand back its first plan only after `taken` {(variant id, warehouse id): units}
    went to a concurrent checkout, as happens between its unlocked reads and the take."""
    real = allocation.allocate
    calls = []

    def allocate(*args, **kwargs):
        shipments = real(*args, **kwargs)
        if not calls:
            for (variant_id, wh), units in taken.items():
                catalog.adjust_stock(variant_id, -units, warehouse_id=wh)
        calls.append(plan(shipments))
        return shipments

    monkeypatch.setattr(allocation, "allocate", allocate)
    return calls


def _ledger_matches(*pairs):
    from models.catalog import InventoryLevel

    for variant_id, wh in pairs:
        level = InventoryLevel.get(InventoryLevel.variant == variant_id, InventoryLevel.warehouse == wh)
        assert catalog.ledger_totals(variant_id, wh) == (level.quantity, level.reserved)


@pytest.mark.parametrize("lines", [1, 2])  # one pair: no savepoint; two: the first pair's take undone
def test_a_take_that_lost_the_race_allocates_again_from_the_levels_now(db, monkeypatch, lines):
    from models.db import atomic

    near = warehouse("near", ["*"], priority=1)
    far = warehouse("far", ["*"], priority=50)
    variants = [stocked({near.id: 2, far.id: 2})[1] for _ in range(lines)]
    last = max(variants, key=lambda v: v.id)  # taken last (pairs go in id order): after the other's take
    calls = _losing_first_race(monkeypatch, {(last.id, near.id): 2})  # the other checkout empties it
    with atomic():
        shipments, unused = allocation.allocate_and_take({v.id: 1 for v in variants}, JO, None, "standard")
    assert unused == []
    assert calls[0] == {"near": {v.id: 1 for v in variants}}
    assert plan(shipments) == {"far": {v.id: 1 for v in variants}}
    for v in variants:
        assert catalog.stock_levels([v.id], warehouse_id=near.id)[v.id] == (0 if v is last else 2)
        assert catalog.stock_levels([v.id], warehouse_id=far.id)[v.id] == 1
    _ledger_matches(*[(v.id, wh.id) for v in variants for wh in (near, far)])
