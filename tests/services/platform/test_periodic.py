"""services.platform.periodic: "at most once" markers committed (or rolled back) with their action."""

import datetime as dt

import pytest

from models.jobs import IdempotencyKey, Job
from services.platform import jobs, periodic


def test_once_records_its_marker_with_the_action_and_only_once(db, settings):
    expires = dt.datetime(2100, 1, 1)
    ran, job = periodic.once("test:a", expires, lambda: jobs.create_job("maintenance", {"task": "expire_carts"}))
    assert ran and IdempotencyKey.get(IdempotencyKey.key == "test:a").job_id == job.id
    assert periodic.once("test:a", expires, lambda: pytest.fail("ran twice")) == (False, None)
    assert periodic.has_marker("test:a")


def test_once_rolls_the_marker_back_with_a_failed_or_skipped_action(db, settings):
    expires = dt.datetime(2100, 1, 1)

    def fails():
        jobs.create_job("maintenance", {"task": "expire_carts"})
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        periodic.once("test:b", expires, fails)
    assert not periodic.has_marker("test:b") and Job.select().count() == 0

    def skips():
        raise periodic.Skip()

    assert periodic.once("test:b", expires, skips) == (False, None)
    assert not periodic.has_marker("test:b")
    assert periodic.once("test:b", expires, lambda: None) == (True, None)
