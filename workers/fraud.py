"""Queue `fraud`: scoring orders, in batches of the queued ones (one model call per batch)."""

from services import fraud
from workers.actor import batch_job_actor

score_order = batch_job_actor("fraud_score", "score_order", fraud.run_fraud_score_batch)
