"""ML actor for the fraud model: trains and registers it for a `fraud_train` job (queue `ml`)."""

import dramatiq

from services import fraud
from workers.dispatch import register
from workers.runner import run_job


@dramatiq.actor(actor_name="train_fraud_model", queue_name="ml", max_retries=0, time_limit=3_600_000)
def train_fraud_model(job_id: str) -> None:
    """Run fraud_train job `job_id` (see services.fraud.run_fraud_train_job)."""
    run_job(job_id, fraud.run_fraud_train_job)


register("fraud_train", train_fraud_model)
