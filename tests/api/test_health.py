"""`/api/v1/health`: database and broker, and whether every queue with work is consumed (issue 7)."""

import datetime as dt
import time

from models.db import utcnow
from models.jobs import Job, QueueConsumption
from services.platform import consumption, jobs


def waiting_job(job_type: str, seconds: float) -> Job:
    job = jobs.create_job(job_type, {})
    Job.update(updated_at=utcnow() - dt.timedelta(seconds=seconds)).where(Job.id == job.id).execute()
    return job


def test_healthy_with_idle_queues(api):
    # Claims noted by earlier tests in this process would be written into this test's database.
    consumption.forget()
    QueueConsumption.delete().execute()
    status, body, _ = api.get("/api/v1/health")
    assert status == 200 and body["status"] == "ok", body
    assert body["jobs"]["status"] == "ok"
    assert body["jobs"]["queues"]["checkout"] == {"ready": 0, "oldestReadySeconds": None,
                                                  "lastClaimSecondsAgo": None, "status": "ok"}


def test_a_queue_whose_oldest_ready_job_waited_too_long_is_backlogged(api, settings):
    waiting_job("checkout", settings.health_queue_age_seconds + 5)
    status, body, _ = api.get("/api/v1/health")
    assert status == 200 and body["status"] == "degraded", body  # the API itself still serves
    queue = body["jobs"]["queues"]["checkout"]
    assert queue["status"] == "backlogged" and queue["ready"] == 1
    assert queue["oldestReadySeconds"] > settings.health_queue_age_seconds
    assert body["jobs"]["queues"]["payments"]["status"] == "ok"


def test_a_queue_with_work_and_no_recent_claim_has_no_consumer(api, settings):
    waiting_job("fraud_score", consumption.READY_GRACE_SECONDS + 2)
    # On PostgreSQL the session's dramatiq worker may still be claiming an earlier test's fraud
    # message and write a fresh claim at any moment: set the old claim again when it did.
    for _ in range(5):
        old = utcnow() - dt.timedelta(seconds=settings.health_queue_age_seconds + 1)
        (QueueConsumption.insert(queue="fraud", last_claim_at=old)
         .on_conflict(conflict_target=[QueueConsumption.queue], update={QueueConsumption.last_claim_at: old})
         .execute())
        status, body, _ = api.get("/api/v1/health")
        if QueueConsumption.get_by_id("fraud").last_claim_at == old:
            break
        time.sleep(0.5)
    assert body["status"] == "degraded" and body["jobs"]["queues"]["fraud"]["status"] == "no_consumer", body


def test_recent_claims_keep_a_queue_with_fresh_work_healthy(api, settings):
    waiting_job("fraud_score", consumption.READY_GRACE_SECONDS + 2)
    consumption.note_claim("fraud")
    assert consumption.flush(force=True) >= 1
    status, body, _ = api.get("/api/v1/health")
    assert body["jobs"]["queues"]["fraud"]["status"] == "ok", body
    assert body["jobs"]["queues"]["fraud"]["lastClaimSecondsAgo"] < 5


def test_work_waiting_for_its_retry_backoff_is_not_ready(api, settings):
    job = waiting_job("checkout", settings.health_queue_age_seconds + 5)
    Job.update(run_after=utcnow() + dt.timedelta(seconds=60)).where(Job.id == job.id).execute()
    status, body, _ = api.get("/api/v1/health")
    assert body["jobs"]["queues"]["checkout"]["ready"] == 0 and body["status"] == "ok", body


def test_workers_record_their_claims(api, admin_token):
    status, body, _ = api.post("/api/v1/jobs/probes", None, token=admin_token)
    assert api.wait_job(body["data"]["id"], token=admin_token)["state"] == "succeeded"
    consumption.flush(force=True)  # in-process workers; a dramatiq worker process flushes within 2 s
    deadline = time.monotonic() + 10
    while QueueConsumption.get_or_none(QueueConsumption.queue == "maintenance") is None:
        assert time.monotonic() < deadline, "no claim recorded for the maintenance queue"
        time.sleep(0.1)
