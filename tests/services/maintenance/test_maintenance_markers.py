"""services.maintenance and the scheduler's periods, without a worker: periods, a disabled
nightly training, unknown tasks, one job per task and period."""

import datetime as dt
from dataclasses import replace

import pytest

import config
from models.jobs import Job
from services import loyalty, maintenance, recommendations
from services.errors import ValidationFailed
from services.platform import jobs
from workers.scheduler import period_of


class RecordingContext:
    """Stands in for services.jobcontext.JobContext: records progress calls."""

    def __init__(self):
        self.calls = []

    def progress(self, completed=None, total=None, message=None):
        self.calls.append((completed, total, message))


def maintenance_job(task="expire_carts"):
    return jobs.create_job("maintenance", {"task": task})


def test_period_of_aligns_periods_to_the_epoch_in_utc():
    now = dt.datetime(2025, 1, 15, 10, 29, 59)
    assert period_of(now, 900) == ("2025-01-15T10:15", dt.datetime(2025, 1, 15, 10, 30))
    assert period_of(now, 3600) == ("2025-01-15T10:00", dt.datetime(2025, 1, 15, 11, 0))
    assert period_of(now, 6 * 3600) == ("2025-01-15T06:00", dt.datetime(2025, 1, 15, 12, 0))
    assert period_of(now, 86400) == ("2025-01-15", dt.datetime(2025, 1, 16))
    assert period_of(dt.datetime(2025, 1, 15, 10, 30), 900)[0] == "2025-01-15T10:30"


def test_loyalty_periods_are_consecutive_runs_of_n_days():
    index, start, end = loyalty.loyalty_period(dt.datetime(2025, 3, 1, 12), 30)
    assert start <= dt.datetime(2025, 3, 1, 12) < end and end - start == dt.timedelta(days=30)
    assert loyalty.loyalty_period(end, 30)[0] == index + 1
    assert loyalty.loyalty_period(end - dt.timedelta(microseconds=1), 30)[0] == index
    assert loyalty.loyalty_period(start, 1)[1] == start


def test_an_unknown_task_is_a_domain_error(db, settings):
    job = jobs.create_job("maintenance", {"task": "reticulate_splines"})
    with pytest.raises(ValidationFailed) as caught:
        maintenance.run_maintenance(job, RecordingContext())
    assert caught.value.reason == "unknown_maintenance_task"
    with pytest.raises(ValidationFailed):
        maintenance.run_maintenance(jobs.create_job("maintenance", {}), RecordingContext())
    with pytest.raises(ValueError):
        maintenance.schedule_task("reticulate_splines", "2025-01-01", dt.datetime(2025, 1, 2))


def test_nightly_training_can_be_disabled(db, settings, monkeypatch):
    monkeypatch.setattr(config, "_settings", replace(settings, recommendations_nightly_hour=-1))
    result = recommendations.recommendations_nightly(maintenance_job(), RecordingContext(), dt.datetime(2025, 1, 1))
    assert result == {"created": False, "reason": "disabled"}
    assert not Job.select().where(Job.type == "recommendations_train").exists()


def test_schedule_task_writes_one_job_per_period_and_none_while_one_is_unfinished(db, settings):
    end = dt.datetime(2025, 1, 15, 10, 30)
    first = maintenance.schedule_task("expire_carts", "2025-01-15T10:15", end)
    assert first is not None and first.payload == {"task": "expire_carts", "period": "2025-01-15T10:15"}
    assert maintenance.schedule_task("expire_carts", "2025-01-15T10:15", end) is None
    assert maintenance.schedule_task("expire_carts", "2025-01-15T10:30", end) is None  # first still queued
    other = maintenance.schedule_task("purge_expired_records", "2025-01-15T10:00", end)
    assert other is not None
    Job.update(state="succeeded").where(Job.id == first.id).execute()
    assert maintenance.schedule_task("expire_carts", "2025-01-15T10:30", end) is not None
