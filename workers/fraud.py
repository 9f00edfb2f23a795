"""Queue `fraud`: scoring orders."""

from services import fraud
from workers.actor import job_actor

score_order = job_actor("fraud_score", "score_order", fraud.run_fraud_score_job)
