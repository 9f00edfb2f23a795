"""Recommendation actors (queue `ml`): run `recommendations_train` jobs (see services.recommendations)."""

import dramatiq

from services import recommendations
from workers.dispatch import register
from workers.runner import run_job


@dramatiq.actor(actor_name="train_recommendations", queue_name="ml", max_retries=0, time_limit=3_600_000)
def train_recommendations(job_id: str) -> None:
    """Run the `recommendations_train` job `job_id`: train, evaluate, register, write the serving tables."""
    run_job(job_id, recommendations.run_training_job)


register("recommendations_train", train_recommendations)
