"""Checkout actor: places the order for a `checkout` job."""

import dramatiq

from services import checkout
from workers.dispatch import register
from workers.runner import run_job


@dramatiq.actor(actor_name="place_order", queue_name="checkout", max_retries=0, time_limit=60_000)
def place_order(job_id: str) -> None:
    """Run checkout job `job_id` (see services.checkout.run_checkout_job)."""
    run_job(job_id, checkout.run_checkout_job)


register("checkout", place_order)
