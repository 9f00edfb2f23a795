"""Leases come from the job type, long handlers keep theirs by heartbeating, and the reclaim
UPDATE itself checks the lease age."""

import dataclasses
import datetime as dt
import time

import pytest

import config
from models.db import database, utcnow
from models.jobs import Job
from services.platform import heartbeat, job_types, jobs, recovery
from workers.runner import run_job


@pytest.fixture()
def declared_leases(settings, monkeypatch):
    """Settings without the tests' 5 s lease cap: every type's declared lease applies."""
    monkeypatch.setattr(config, "_settings", dataclasses.replace(settings, job_lease_seconds=0))


def running(job_type: str, idle_seconds: float) -> Job:
    job = jobs.create_job(job_type, {})
    jobs.claim(job.id)
    Job.update(updated_at=utcnow() - dt.timedelta(seconds=idle_seconds)).where(Job.id == job.id).execute()
    return job


def test_each_job_type_is_reclaimed_after_its_own_lease(db, declared_leases):
    checkout, training = running("checkout", 70), running("fraud_train", 70)
    assert job_types.lease_seconds("checkout") == 10 and job_types.lease_seconds("fraud_train") == 120
    assert recovery.reclaim_expired_leases() == [checkout.id]
    assert Job.get_by_id(training.id).state == "running"  # a model fit past 70 s keeps its worker
    Job.update(updated_at=utcnow() - dt.timedelta(seconds=121)).where(Job.id == training.id).execute()
    assert recovery.reclaim_expired_leases() == [training.id]


def test_the_cap_setting_shortens_every_lease(db, settings):
    assert settings.job_lease_seconds == 5
    assert job_types.lease_seconds("fraud_train") == job_types.lease_seconds("checkout") == 5


def test_a_job_that_heartbeats_while_the_relay_looks_is_not_reclaimed(db, declared_leases, monkeypatch):
    """The heartbeat lands after the relay decided and before it writes: the UPDATE must see it."""
    job = running("checkout", 120)
    real_execute = database.obj.execute_sql
    beats = []

    def heartbeat_first(sql, params=None, *args, **kwargs):
        if not beats and sql.lstrip().upper().startswith("UPDATE") and '"job"' in sql:
            beats.append(True)
            assert jobs.heartbeat(job.id)  # the worker is alive after all
        return real_execute(sql, params, *args, **kwargs)

    monkeypatch.setattr(database.obj, "execute_sql", heartbeat_first)
    assert recovery.reclaim_expired_leases() == []
    fresh = Job.get_by_id(job.id)
    assert beats and fresh.state == "running" and fresh.attempts == 1


def test_a_handler_longer_than_its_lease_keeps_its_job(app, settings, monkeypatch):
    """With the 5 s test lease, a 6 s handler is renewed by the keep-alive thread: the relay's
    reclaim during the handler finds nothing to take, and the job succeeds on its first attempt."""
    monkeypatch.setattr(heartbeat, "TICK_SECONDS", 0.2)
    job = jobs.create_job("maintenance", {"task": "expire_carts"})
    seen = {}

    def slow(job, ctx):
        time.sleep(job_types.lease_seconds(job.type) + 1)
        seen["reclaimed"] = recovery.reclaim_expired_leases()
        return {"done": True}

    run_job(job.id, slow)
    finished = Job.get_by_id(job.id)
    assert seen["reclaimed"] == [] and finished.state == "succeeded" and finished.attempts == 1


def test_keep_alive_renews_only_the_jobs_it_holds_once_a_third_of_their_lease_passed(db, settings):
    keeper = heartbeat.KeepAlive()
    job = running("checkout", 0)
    before = Job.get_by_id(job.id).updated_at
    with keeper.hold(job.id, "checkout"):
        assert keeper.renew_due() == 0  # just claimed: not due yet
        keeper._held[job.id][1] -= job_types.lease_seconds("checkout")
        assert keeper.renew_due() == 1
    assert Job.get_by_id(job.id).updated_at > before and keeper.held() == []
