"""Catalog import actors (queue `bulk`): run `product_import` jobs (see services.imports)."""

import dramatiq

from services import imports
from workers.dispatch import register
from workers.runner import run_job


@dramatiq.actor(actor_name="import_products", queue_name="bulk", max_retries=0, time_limit=600_000)
def import_products(job_id: str) -> None:
    """Run the `product_import` job `job_id`: upsert the CSV's products and store the row-level report."""
    run_job(job_id, imports.run_import_job)


register("product_import", import_products)
