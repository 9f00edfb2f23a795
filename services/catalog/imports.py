"""Catalog import: the `product_import` job that writes a Shopify product CSV into the catalog.

The job payload is `{"csv": text, "filename": str, "storeId": str | None}`
(the text travels in the job row so any worker process can run it). Products
are upserted by handle and their variants by SKU (or by option values when the
SKU is empty), one transaction per product, so the import is idempotent: the
same file twice reports every product as `updated` and creates nothing new.
A variant missing from the file is archived when an order line refers to it
(deleted otherwise) and restored, with the same id, when its SKU or options
come back in a later file (`variant_sets.save_variants`).
A retried or resumed job simply upserts again. A product with any bad row is
skipped whole, never half-written.
Imported products keep their kind (new ones are `general`: a Shopify export has no typed
attributes; its "Type" column is the free-text `productType`); the write rewrites their
attribute filter rows in the product's transaction like any other (`product_writes`).
"""

from __future__ import annotations

import config
from models.catalog import Store
from models.jobs import Job
from services.catalog import shopify, shopify_csv
from services.catalog.product_writes import upsert_product
from services.errors import DomainError, ValidationFailed
from services.platform import JobContext


def check_store(store_id: str | None) -> None:
    """Raise ValidationFailed (422, `unknown_store`) unless `store_id` is None or an existing store."""
    if store_id and not Store.select().where(Store.id == store_id).exists():
        raise ValidationFailed("Store not found", reason="unknown_store",
                               details=[{"field": "storeId", "message": "No such store"}])


def import_payload(text: str, filename: str, store_id: str | None) -> dict:
    """The job payload for a checked CSV (`shopify_csv.decode_upload`)."""
    return {"csv": text, "filename": filename, "storeId": store_id}


def run_import_job(job: Job, ctx: JobContext) -> dict:
    """Import the job's CSV; returns the row-level report (the job's `result`):

        {"filename", "storeId", "rows": data rows read, "products": handles seen,
         "created": [handle...], "updated": [handle...],
         "skipped": [{"handle", "row", "reason", "message"}],
         "successful": [handle...], "failed": [{"id": handle, "reason"}]}

    `skipped` has one entry per rejected row (reasons as in
    `shopify.parse_products`, plus `duplicate_sku` / `handle_taken` when the
    database already holds that SKU or handle elsewhere); `failed` one per
    product not imported. Progress is reported per product. Raises
    ValidationFailed (job fails, no retry) for an unreadable CSV or unknown store.
    """
    payload = job.payload or {}
    text = shopify_csv.decode_upload((payload.get("csv") or "").encode("utf-8"))
    store_id = payload.get("storeId")
    check_store(store_id)
    products, orphans = shopify.parse_products(text, config.get().currency_exponent, store_id)
    report = {"filename": payload.get("filename") or "", "storeId": store_id,
              "rows": _data_rows(text), "products": len(products),
              "created": [], "updated": [], "skipped": [issue.to_dict() for issue in orphans],
              "successful": [], "failed": []}
    total = len(products)
    ctx.progress(0, total, f"Importing {total} products")
    for done, parsed in enumerate(products, start=1):
        outcome = _import_one(parsed, report)
        ctx.progress(done, total, f"{parsed.handle}: {outcome}")
    return report


def _import_one(parsed: shopify.ParsedProduct, report: dict) -> str:
    """Write one parsed product and record it in `report`; returns the outcome word."""
    if parsed.valid:
        try:
            _, created = upsert_product(parsed.data)
        except DomainError as exc:
            parsed.issues.append(shopify.RowIssue(parsed.handle, parsed.row, exc.reason, exc.message))
        else:
            report["created" if created else "updated"].append(parsed.handle)
            report["successful"].append(parsed.handle)
            return "created" if created else "updated"
    report["skipped"].extend(issue.to_dict() for issue in parsed.issues)
    report["failed"].append({"id": parsed.handle, "reason": parsed.issues[0].reason})
    return "skipped"


def _data_rows(text: str) -> int:
    _, rows = shopify_csv.read_csv(text)
    return len(rows)
