"""Inventory reports (seed 001 `GET /inventory/reports`): an `inventory_report` job (queue `bulk`)
whose result is the report; `GET /inventory/reports/{jobId}` downloads it as JSON or CSV.

The report over the last `days` days (window `[from, to)`, UTC), all from InventoryLevel and the
movements ledger (services.catalog.stock_ledger):

- `warehouses`: per warehouse `{"warehouseId", "code", "name", "units" (on hand), "reserved",
  "value"}`; value = SUM(on hand x the variant's price), minor units of `currency`;
- `movements`: per kind in the window `{"kind", "count", "quantity" (signed change of on hand),
  "reservedChange"}`;
- `variants`: per level of a live variant `{"warehouseId", "productId", "productName",
  "variantId", "sku", "onHand", "reserved", "value", "unitsSold", "sellThrough", "daysOfCover"}`:
  `unitsSold` = units taken by sales minus units given back by cancellations in the window
  (floored at 0); `sellThrough` = unitsSold / (unitsSold + onHand) (the "sell-through rate" of
  retail analytics, e.g. Shopify's "percent of inventory sold": units sold over units sold plus
  ending units), null when both are 0, rounded to 4 places; `daysOfCover` = onHand / (unitsSold /
  days), the days the stock lasts at the window's average daily sales, null when nothing sold,
  rounded to 1 place.

The result also holds `{"format", "days", "from", "to", "generatedAt", "currency", "downloadUrl"}`.
The CSV (`report_csv`) is the `variants` table, one row per level, header first.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from peewee import fn

import config
from models.catalog import InventoryLevel, Product, Variant, Warehouse
from models.db import isoformat, utcnow
from models.inventory import StockMovement
from models.jobs import Job
from models.users import User
from services.errors import Conflict, NotFound
from services.platform import JobContext, jobs

JOB_TYPE = "inventory_report"
FORMATS = ("json", "csv")
DOWNLOAD_URL = "/api/v1/inventory/reports/{job_id}"
CSV_COLUMNS = ("warehouseId", "productId", "productName", "variantId", "sku", "onHand", "reserved", "value",
               "unitsSold", "sellThrough", "daysOfCover")


def start_inventory_report(user: User, days: int = 30, fmt: str = "json") -> Job:
    """Write the `inventory_report` job (payload `{"days", "format"}`, owned by `user`); call inside
    the request's transaction (web.jobview.submit)."""
    return jobs.create_job(JOB_TYPE, {"days": days, "format": fmt}, owner_id=user.id, total=3)


def _sold(since: dt.datetime, until: dt.datetime) -> dict[tuple[str, str], int]:
    """Net units sold per (variant, warehouse) in the window: -(sales) - (releases)."""
    rows = (StockMovement.select(StockMovement.variant, StockMovement.warehouse, fn.SUM(StockMovement.quantity))
            .where(StockMovement.kind.in_(("sale", "release")), StockMovement.created_at >= since,
                   StockMovement.created_at < until)
            .group_by(StockMovement.variant, StockMovement.warehouse).tuples())
    return {(v, w): max(-int(total or 0), 0) for v, w, total in rows}


def build_report(days: int, now: dt.datetime | None = None) -> dict:
    """The report document (module docstring) over the `days` days before `now`."""
    until = now or utcnow()
    since = until - dt.timedelta(days=days)
    sold = _sold(since, until)
    warehouses = {wid: {"warehouseId": wid, "code": code, "name": name, "units": 0, "reserved": 0, "value": 0}
                  for wid, code, name in Warehouse.select(Warehouse.id, Warehouse.code, Warehouse.name)
                  .order_by(Warehouse.code).tuples()}
    variants = []
    levels = (InventoryLevel.select(InventoryLevel.warehouse, Product.id, Product.name, Variant.id, Variant.sku,
                                    Variant.price, InventoryLevel.quantity, InventoryLevel.reserved)
              .join(Variant).join(Product)
              .where(Variant.archived_at.is_null())
              .order_by(InventoryLevel.warehouse, Product.name, Variant.position, Variant.id).tuples())
    for wid, pid, pname, vid, sku, price, on_hand, reserved in levels:
        units_sold = sold.get((vid, wid), 0)
        value = on_hand * price
        bucket = warehouses.setdefault(wid, {"warehouseId": wid, "code": "", "name": "", "units": 0,
                                             "reserved": 0, "value": 0})
        bucket["units"] += on_hand
        bucket["reserved"] += reserved
        bucket["value"] += value
        variants.append({
            "warehouseId": wid, "productId": pid, "productName": pname, "variantId": vid, "sku": sku,
            "onHand": on_hand, "reserved": reserved, "value": value, "unitsSold": units_sold,
            "sellThrough": round(units_sold / (units_sold + on_hand), 4) if units_sold + on_hand else None,
            "daysOfCover": round(on_hand / (units_sold / days), 1) if units_sold else None,
        })
    movements = [{"kind": kind, "count": count, "quantity": int(q or 0), "reservedChange": int(r or 0)}
                 for kind, count, q, r in StockMovement.select(
                     StockMovement.kind, fn.COUNT(StockMovement.id), fn.SUM(StockMovement.quantity),
                     fn.SUM(StockMovement.reserved_change))
                 .where(StockMovement.created_at >= since, StockMovement.created_at < until)
                 .group_by(StockMovement.kind).order_by(StockMovement.kind).tuples()]
    return {"days": days, "from": isoformat(since), "to": isoformat(until), "generatedAt": isoformat(until),
            "currency": config.get().currency, "warehouses": list(warehouses.values()), "movements": movements,
            "variants": variants}


def run_inventory_report_job(job: Job, ctx: JobContext) -> dict:
    """`inventory_report` job handler: the report (module docstring) as the job's result."""
    payload = job.payload or {}
    days, fmt = int(payload.get("days") or 30), payload.get("format") or "json"
    ctx.progress(0, 3, "Reading stock and movements")
    report = build_report(days)
    ctx.progress(2, 3, f"{len(report['variants'])} stock level(s)")
    url = DOWNLOAD_URL.format(job_id=job.id) + ("/csv" if fmt == "csv" else "")
    return {"format": fmt, **report, "downloadUrl": url}


def report_csv(report: dict) -> str:
    """The report's `variants` table as CSV text (CSV_COLUMNS; empty cells for null)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.get("variants", []):
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in CSV_COLUMNS])
    return out.getvalue()


def finished_report(job_id: str) -> dict:
    """The result of the succeeded `inventory_report` job `job_id`. Raises NotFound
    (`report_not_found`: no such job or not a report), Conflict (`report_not_ready`: not succeeded)."""
    job = Job.get_or_none(Job.id == job_id)
    if job is None or job.type != JOB_TYPE:
        raise NotFound("Report not found", reason="report_not_found")
    if job.state != "succeeded":
        raise Conflict(f"The report job is {job.state}; poll it", reason="report_not_ready",
                       details=[{"field": "jobId", "message": f"state {job.state}"}])
    return job.result or {}
