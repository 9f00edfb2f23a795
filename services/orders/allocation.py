"""Allocating an order's units to warehouses (seed 000: "an order's lines are allocated to
warehouses that serve the shipping region, fewest shipments first").

`allocate(quantities, address, cart_id)`:

1. The candidates are the active warehouses serving the address (services.catalog.warehouses:
   `"*"`, the country, or country and state); none is 422 `address_not_serviceable`.
2. Each candidate's capacity per variant is its available units plus what the cart's own
   reservations hold there.
3. Fewest shipments first: for k = 1, 2, ... every set of k candidates is tried, each variant
   going whole to the first warehouse of the set (by priority) that can ship all its units;
   a set where every variant is placed and every warehouse ships something is a plan. Among
   the plans with the fewest shipments the one delivering soonest wins (the latest shipment's
   estimate, `maxDays`; a warehouse without an estimate for the region counts the shipping
   method's days), then the lowest total priority, then warehouse codes (deterministic).
   Sets are enumerated up to `MAX_EXHAUSTIVE` candidates; beyond that, and when no plan ships
   each variant whole, units are taken greedily from the candidates by priority (a variant's
   units may then be split over warehouses).
4. Not enough units in the serving warehouses together: 409 `out_of_stock` (details per variant).

Reads take no locks: `allocate_and_take` then takes the units with conditional updates
(services.catalog.inventory.take_allocated) and, when a concurrent checkout took them in
between, allocates again from the levels now (409, the whole order rolled back, only when
the units are really gone). The order's estimated delivery is its latest shipment's
(`estimated_delivery`): with standard shipping the warehouse's estimate for the region when
it has one, else (and for express and same-day, whose promise the customer paid for) the
shipping method's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from itertools import combinations

from models.catalog import Warehouse
from models.inventory import StockReservation
from models.db import atomic
from services import catalog
from services.errors import InsufficientStock, ValidationFailed
from services.orders import shipping
from services.orders.shipping import METHODS, add_business_days

TAKE_ATTEMPTS = 3  # allocations tried when concurrent checkouts took the units chosen
MAX_EXHAUSTIVE = 8  # candidates for which every set is tried (2^8 = 256 sets at most)


@dataclass
class Shipment:
    """Units of one warehouse: `quantities` {variant id: units}; `estimate` (minDays, maxDays)
    from the warehouse for the address, or None (the shipping method's days apply)."""

    warehouse: Warehouse
    quantities: dict[str, int] = field(default_factory=dict)
    estimate: tuple[int, int] | None = None


def _not_serviceable(address: dict) -> ValidationFailed:
    region = "-".join(p for p in (str(address.get("country") or ""), str(address.get("state") or "")) if p)
    return ValidationFailed(f"No warehouse ships to {region or 'this address'}", reason="address_not_serviceable",
                            details=[{"field": "shippingAddress.country", "message": "Address not serviceable"}])


def _whole_plan(combo, quantities: dict[str, int], capacity: dict[str, dict]) -> dict[str, str] | None:
    """{variant id: warehouse id} shipping each variant whole from the first warehouse of
    `combo` that can, or None when a variant fits nowhere or a warehouse ships nothing."""
    plan = {}
    for variant_id, n in sorted(quantities.items()):
        home = next((wh for wh in combo if capacity[wh.id][variant_id] >= n), None)
        if home is None:
            return None
        plan[variant_id] = home.id
    return plan if len(set(plan.values())) == len(combo) else None


def _days(estimate: tuple[int, int] | None, method_days: int) -> int:
    return estimate[1] if estimate else method_days


def allocate(quantities: dict[str, int], address: dict, cart_id: str | None = None,
             method_id: str = "standard") -> list[Shipment]:
    """Shipments for `quantities` ({variant id: units > 0}) to `address` (module docstring),
    ordered by warehouse priority. `method_id` gives the days counted for a warehouse without
    an estimate. Raises ValidationFailed (422 `address_not_serviceable`), InsufficientStock
    (409 `out_of_stock`)."""
    stocked = catalog.stocked_warehouses(sorted(quantities), cart_id)  # one read: warehouses and units
    candidates = [wh for wh, _ in stocked if catalog.region_match(wh.regions, address) is not None]
    if not candidates:
        raise _not_serviceable(address)
    capacity = {wh.id: units for wh, units in stocked}
    estimates = {wh.id: catalog.estimate_days(wh, address) for wh in candidates}
    method_days = METHODS.get(method_id, METHODS["standard"])["max_days"]
    if len(candidates) <= MAX_EXHAUSTIVE:
        for k in range(1, len(candidates) + 1):
            best = None
            for combo in combinations(candidates, k):
                plan = _whole_plan(combo, quantities, capacity)
                if plan is None:
                    continue
                rank = (max(_days(estimates[wh.id], method_days) for wh in combo),
                        sum(wh.priority for wh in combo), [wh.code for wh in combo])
                if best is None or rank < best[0]:
                    best = (rank, combo, plan)
            if best is not None:
                _, combo, plan = best
                return [Shipment(wh, {v: quantities[v] for v, home in plan.items() if home == wh.id},
                                 estimates[wh.id]) for wh in combo]
    return _greedy(candidates, quantities, capacity, estimates)


def _greedy(candidates, quantities, capacity, estimates) -> list[Shipment]:
    """Units taken from the candidates in priority order, variants split where needed.
    Raises InsufficientStock when the candidates together have too few."""
    shipments = {wh.id: Shipment(wh, {}, estimates[wh.id]) for wh in candidates}
    short = []
    for variant_id, n in sorted(quantities.items()):
        remaining = n
        for wh in candidates:
            take = min(remaining, max(capacity[wh.id][variant_id], 0))
            if take:
                shipments[wh.id].quantities[variant_id] = take
                remaining -= take
        if remaining:
            short.append({"field": f"items.{variant_id}",
                          "message": f"Requested {n}, available {n - remaining} for delivery to this address"})
    if short:
        raise InsufficientStock("Inventory insufficient for one or more items", reason="out_of_stock", details=short)
    return [s for s in shipments.values() if s.quantities]


def allocate_and_take(quantities: dict[str, int], address: dict, cart_id: str, method_id: str,
                      reference: str = "") -> tuple[list[Shipment], list[StockReservation]]:
    """Allocate (`allocate`) and take the units (services.catalog.take_allocated, consuming the
    cart's holds there); call inside the order's transaction. A take can lose a race to a
    concurrent checkout between the unlocked allocation reads and its conditional updates:
    the take is then undone (a savepoint, when it has more than one pair to take) and the
    allocation made again from the levels now, up to `TAKE_ATTEMPTS` times, so an order is
    refused only when the serving warehouses really lack the units. Returns the shipments taken
    and the cart's holds the take did not use (locked, still active: the caller releases them).
    Raises as `allocate` does."""
    for attempt in range(1, TAKE_ATTEMPTS + 1):
        shipments = allocate(quantities, address, cart_id=cart_id, method_id=method_id)
        pairs = {(variant_id, s.warehouse.id): n for s in shipments for variant_id, n in s.quantities.items()}
        try:
            # One pair needs no savepoint: take_allocated writes nothing before its first UPDATE succeeds.
            with atomic() if len(pairs) > 1 else contextlib.nullcontext():
                unused = catalog.take_allocated(pairs, cart_id=cart_id, reference=reference)
            return shipments, unused
        except InsufficientStock:
            if attempt == TAKE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def shipment_delivery(shipment: Shipment, method_id: str, placed: dt.date) -> dt.date:
    """One shipment's estimated delivery, business days after `placed`: with standard shipping
    the warehouse's maxDays for the region (else the method's 5); express and same-day keep
    their own promise (the customer paid for it)."""
    if method_id == "standard" and shipment.estimate:
        return add_business_days(placed, shipment.estimate[1])
    return shipping.estimated_delivery({"id": method_id}, placed)


def estimated_delivery(shipments: list[Shipment], method_id: str, placed: dt.date) -> dt.date:
    """The order's estimated delivery: its latest shipment's (`shipment_delivery`)."""
    return max(shipment_delivery(s, method_id, placed) for s in shipments)
