"""Fraud actor: scores an order for a `fraud_score` job (queue `fraud`)."""

import dramatiq

from services import fraud
from workers.dispatch import register
from workers.runner import run_job


@dramatiq.actor(actor_name="score_order", queue_name="fraud", max_retries=0, time_limit=60_000)
def score_order(job_id: str) -> None:
    """Run fraud_score job `job_id` (see services.fraud.run_fraud_score_job)."""
    run_job(job_id, fraud.run_fraud_score_job)


register("fraud_score", score_order)
