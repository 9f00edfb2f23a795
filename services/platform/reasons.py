"""The platform's stable error reasons (jobs, idempotency, model registry), reason -> meaning."""

REASONS = {
    "artifact_rejected": "A model artifact failed its integrity or trusted-type check",
    "bad_idempotency_key": "Idempotency-Key must be 1-255 characters",
    "idempotency_key_reused": "The Idempotency-Key was used with a different request",
    "invalid_model_kind": "Unknown model kind",
    "job_finished": "The job already ended",
    "job_not_cancellable": "The job passed its commit point (e.g. its order is placed) and will finish",
    "job_not_failed": "Only failed jobs can be retried",
    "job_not_found": "No (visible) job with this id",
    "lease_expired": "The job's worker stopped responding and no attempt is left",
    "model_version_not_candidate": "Only a candidate model version can be rejected",
    "model_version_not_found": "No model version with this id",
    "no_active_model": "No active model to roll back",
    "no_previous_model": "No earlier model version to roll back to",
    "transient_error": "An attempt failed in a way worth retrying (database, timeout, provider 5xx)",
}
