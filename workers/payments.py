"""Payment actors: Process Payment jobs and Stripe webhook events."""

import dramatiq

from services import payments
from workers.dispatch import register
from workers.runner import run_job


@dramatiq.actor(actor_name="process_payment", queue_name="payments", max_retries=0, time_limit=60_000)
def process_payment(job_id: str) -> None:
    """Run payment job `job_id` (see services.payments.run_payment_job)."""
    run_job(job_id, payments.run_payment_job)


@dramatiq.actor(actor_name="handle_stripe_event", queue_name="payments", max_retries=0, time_limit=60_000)
def handle_stripe_event(job_id: str) -> None:
    """Run stripe_event job `job_id` (see services.payments.run_stripe_event_job)."""
    run_job(job_id, payments.run_stripe_event_job)


register("payment", process_payment)
register("stripe_event", handle_stripe_event)
