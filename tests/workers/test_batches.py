"""Jobs claimed and run in batches (issue 7): fraud scoring scores the fraud_score jobs queued
behind the one a message names in one model call, and every job keeps its own claim, attempt,
outcome and assessment."""

import datetime as dt

import pytest

from models.db import utcnow
from models.fraud import FraudAssessment
from models.jobs import Job
from models.orders import Order
from services import fraud
from services.errors import NotFound
from services.fraud import scoring
from services.platform import jobs, job_types
from workers import runner


@pytest.fixture()
def orders(db):
    fraud.generate_demo_history(customers=30, days=10, seed=5)
    return [o.id for o in Order.select(Order.id).order_by(Order.created_at.desc()).limit(6)]


def score_jobs(order_ids):
    return [jobs.create_job("fraud_score", {"orderId": order_id}) for order_id in order_ids]


def run_fraud(job_id):
    runner.run_batch(job_id, fraud.run_fraud_score_batch, job_types.job_type("fraud_score").batch)


def test_one_message_scores_every_queued_fraud_job_with_one_history_query_and_one_model_call(orders, monkeypatch):
    queued = score_jobs(orders)
    calls = []
    real = scoring.assess_many
    monkeypatch.setattr(scoring, "assess_many", lambda ids, *rest: calls.append(list(ids)) or real(ids, *rest))

    run_fraud(queued[2].id)

    assert len(calls) == 1 and sorted(calls[0]) == sorted(orders)
    for job in queued:
        row = Job.get_by_id(job.id)
        assert (row.state, row.attempts) == ("succeeded", 1), row.error
        assessment = FraudAssessment.get(FraudAssessment.job_id == job.id)
        assert row.result["id"] == assessment.id and assessment.order_id == job.payload["orderId"]
        # the batch gives each order the features it gets alone
        assert assessment.features == fraud.features_for_scoring(job.payload["orderId"])
    # the other jobs' own messages arrive later: duplicates, no-ops
    run_fraud(queued[0].id)
    assert FraudAssessment.select().count() == len(orders)


def test_a_batch_takes_only_due_queued_jobs_of_its_type(orders):
    lead, waiting, cancelled, *_ = score_jobs(orders[:3])
    Job.update(run_after=utcnow() + dt.timedelta(seconds=60)).where(Job.id == waiting.id).execute()
    jobs.request_cancel(Job.get_by_id(cancelled.id))
    probe = jobs.create_job("probe", {})

    run_fraud(lead.id)

    assert Job.get_by_id(lead.id).state == "succeeded"
    assert Job.get_by_id(waiting.id).state == "queued" and Job.get_by_id(waiting.id).attempts == 0
    assert Job.get_by_id(cancelled.id).state == "cancel_requested"
    assert Job.get_by_id(probe.id).state == "queued"


def test_an_order_that_fails_alone_fails_only_its_own_job(orders):
    Order.delete().where(Order.id == orders[1]).execute()
    queued = score_jobs(orders[:3])

    run_fraud(queued[0].id)

    states = {j.id: Job.get_by_id(j.id) for j in queued}
    assert states[queued[1].id].state == "failed" and states[queued[1].id].error["reason"] == "order_not_found"
    assert states[queued[0].id].state == states[queued[2].id].state == "succeeded"


def test_a_batch_that_crashes_midway_is_retried_and_stores_each_assessment_once(orders, monkeypatch):
    queued = score_jobs(orders)
    real_apply = scoring.apply_decision
    applied = []

    def crash_after_two(assessment):
        if len(applied) == 2:
            raise ConnectionError("the database went away mid-batch")
        applied.append(assessment.order_id)
        return real_apply(assessment)

    monkeypatch.setattr(scoring, "apply_decision", crash_after_two)
    monkeypatch.setattr(runner, "dispatch", lambda job, delay_ms=0: None)  # the retry is run below
    run_fraud(queued[0].id)
    rows = [Job.get_by_id(j.id) for j in queued]
    assert [r.state for r in rows].count("succeeded") == 2
    assert all(r.state == "queued" and r.attempts == 1 for r in rows if r.state != "succeeded")

    monkeypatch.setattr(scoring, "apply_decision", real_apply)
    Job.update(run_after=None).where(Job.state == "queued").execute()  # the backoff is over
    retry = next(r for r in rows if r.state == "queued")
    run_fraud(retry.id)
    for job in queued:
        row = Job.get_by_id(job.id)
        assert row.state == "succeeded", row.error
        assert FraudAssessment.select().where(FraudAssessment.job_id == job.id).count() == 1
    assert FraudAssessment.select().count() == len(orders)


def test_an_error_the_whole_batch_shares_releases_every_job(orders, monkeypatch):
    queued = score_jobs(orders[:4])

    def model_down(ids, orders=None):
        raise OSError("model artifact unreadable")

    monkeypatch.setattr(scoring, "assess_many", model_down)
    monkeypatch.setattr(runner, "dispatch", lambda job, delay_ms=0: None)
    run_fraud(queued[0].id)
    for job in queued:
        row = Job.get_by_id(job.id)
        assert (row.state, row.attempts) == ("queued", 1)
        assert "model artifact unreadable" in row.error["message"]


def test_the_batch_scoring_path_gives_each_order_its_single_order_result(orders):
    together = fraud.assess_many(orders)
    assert set(together) == set(orders)
    for order_id in orders:
        assert together[order_id] == fraud.assess(order_id)
    with pytest.raises(NotFound):
        fraud.assess("ord_missing")
