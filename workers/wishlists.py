"""Wishlist actors (queue `bulk`): run `wishlist_bulk` jobs (see services.wishlists)."""

import dramatiq

from services import wishlists
from workers.dispatch import register
from workers.runner import run_job


@dramatiq.actor(actor_name="run_wishlist_bulk", queue_name="bulk", max_retries=0, time_limit=600_000)
def run_wishlist_bulk(job_id: str) -> None:
    """Run the `wishlist_bulk` job `job_id`: add, remove or move each product, recording per-item outcomes."""
    run_job(job_id, wishlists.run_bulk_job)


register("wishlist_bulk", run_wishlist_bulk)
