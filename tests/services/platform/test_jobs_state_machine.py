"""The job state machine: conditional transitions, attempts, backoff, terminal states."""

import pytest

from models.jobs import Job
from services.errors import Conflict
from services.platform import jobs


def new_job():
    return jobs.create_job("checkout", {"cartId": "cart_x"})


def test_claim_is_exclusive_and_counts_attempts(db, settings):
    job = new_job()
    assert jobs.claim(job.id).attempts == 1
    assert jobs.claim(job.id) is None  # a duplicate delivery claims nothing
    assert Job.get_by_id(job.id).state == "running"


def test_terminal_states_are_never_left(db, settings):
    job = new_job()
    jobs.claim(job.id)
    assert jobs.succeed(job.id, {"ok": True})
    assert not jobs.fail(job.id, {"code": "X"})
    assert not jobs.heartbeat(job.id, 1, 2)
    assert jobs.claim(job.id) is None
    with pytest.raises(Conflict):
        jobs.request_cancel(Job.get_by_id(job.id))
    assert Job.get_by_id(job.id).state == "succeeded"


def test_transient_failures_requeue_until_attempts_run_out(db, settings):
    job = new_job()
    for attempt in range(1, job.max_attempts):
        jobs.claim(job.id)
        assert jobs.requeue_after_transient(job.id, {"message": "boom"}) == "queued"
    jobs.claim(job.id)
    assert jobs.requeue_after_transient(job.id, {"message": "boom"}) == "failed"
    final = Job.get_by_id(job.id)
    assert final.state == "failed" and final.attempts == final.max_attempts
    assert final.error["attemptsExhausted"] is True


def test_backoff_doubles_and_is_capped():
    assert [jobs.retry_delay_seconds(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert jobs.retry_delay_seconds(50) == jobs.RETRY_MAX_SECONDS


def test_cancel_of_a_running_job_takes_effect_at_its_checkpoint(db, settings):
    from services.platform import JobCancelled, JobContext

    job = new_job()
    claimed = jobs.claim(job.id)
    jobs.request_cancel(claimed)
    with pytest.raises(JobCancelled):
        JobContext(claimed).progress(1, 2)
    assert jobs.cancel_if_requested(job.id)
    assert Job.get_by_id(job.id).state == "cancelled"


def test_each_transition_bumps_the_version_used_for_etags(db, settings):
    job = new_job()
    v0 = Job.get_by_id(job.id).version
    jobs.claim(job.id)
    jobs.heartbeat(job.id, 1, 2, "half")
    assert Job.get_by_id(job.id).version == v0 + 2
