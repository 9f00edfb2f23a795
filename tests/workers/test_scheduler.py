"""The scheduler: one maintenance job per task and period whatever the number of schedulers,
no pile-up behind an unfinished job, APScheduler options, and the background scheduler
feeding the real worker."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import replace

from apscheduler.schedulers.background import BackgroundScheduler

from models.db import utcnow
from models.jobs import Job
from workers import scheduler


def maintenance_jobs(task: str) -> list[Job]:
    return [j for j in Job.select().where(Job.type == "maintenance") if j.payload.get("task") == task]


def test_a_period_gets_one_job_which_the_worker_runs(api):
    now = utcnow()
    job_id = scheduler.enqueue_maintenance("expire_carts", 900, now=now)
    assert job_id is not None
    assert scheduler.enqueue_maintenance("expire_carts", 900, now=now) is None  # same period
    job = api.wait_job(job_id)
    assert job["state"] == "succeeded" and job["result"]["task"] == "expire_carts", job
    assert scheduler.enqueue_maintenance("expire_carts", 900, now=now) is None  # finished, same period
    later = scheduler.enqueue_maintenance("expire_carts", 900, now=now + dt.timedelta(minutes=15))
    assert later is not None and api.wait_job(later)["state"] == "succeeded"
    assert [j.payload["period"] for j in maintenance_jobs("expire_carts")] == sorted(
        scheduler.period_of(t, 900)[0] for t in (now, now + dt.timedelta(minutes=15)))


def test_several_schedulers_at_once_write_one_job_per_period(api):
    now = utcnow()
    results = []
    barrier = threading.Barrier(4)

    def tick():
        barrier.wait()
        results.append(scheduler.enqueue_maintenance("purge_expired_records", 3600, now=now))

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    created = [r for r in results if r is not None]
    assert len(results) == 4 and len(created) == 1
    assert len(maintenance_jobs("purge_expired_records")) == 1
    assert api.wait_job(created[0])["state"] == "succeeded"


def test_no_new_job_while_the_previous_one_is_unfinished(db, settings):
    stuck = Job.create(type="maintenance", queue="maintenance", payload={"task": "abandoned_cart_reminders"},
                       state="running", attempts=1)
    later = utcnow() + dt.timedelta(hours=1)
    assert scheduler.enqueue_maintenance("abandoned_cart_reminders", 900, now=later) is None
    assert scheduler.enqueue_maintenance("expire_carts", 900, now=later) is not None  # other tasks go on
    Job.update(state="failed", finished_at=utcnow()).where(Job.id == stuck.id).execute()
    assert scheduler.enqueue_maintenance("abandoned_cart_reminders", 900, now=later) is not None


def test_schedule_entries_coalesce_run_one_at_a_time_and_include_the_nightly_training(settings):
    sched = BackgroundScheduler(timezone=dt.timezone.utc)
    scheduler._add_jobs(sched, settings)
    entries = {job.id: job for job in sched.get_jobs()}
    expected = {"outbox_relay", "maintenance:recommendations_nightly",
                *(f"maintenance:{task}" for task in scheduler.MAINTENANCE_INTERVALS)}
    assert set(entries) == expected
    assert all(job.coalesce and job.max_instances == 1 for job in entries.values())
    nightly = entries["maintenance:recommendations_nightly"]
    fields = {f.name: str(f) for f in nightly.trigger.fields}
    assert fields["hour"] == str(settings.recommendations_nightly_hour) and fields["minute"] == "0"
    assert nightly.args == ("recommendations_nightly", 86400)
    off = BackgroundScheduler(timezone=dt.timezone.utc)
    scheduler._add_jobs(off, replace(settings, recommendations_nightly_hour=-1))
    assert "maintenance:recommendations_nightly" not in {job.id for job in off.get_jobs()}


def test_the_background_scheduler_feeds_maintenance_jobs_to_the_worker(api, settings, monkeypatch):
    monkeypatch.setattr(scheduler, "FIRST_RUN_DELAY_SECONDS", 0)
    monkeypatch.setattr(scheduler, "MAINTENANCE_INTERVALS", {"expire_carts": 900})
    running = scheduler.start_background(settings)
    try:
        deadline = time.monotonic() + 20
        while not maintenance_jobs("expire_carts") and time.monotonic() < deadline:
            time.sleep(0.1)
        [job] = maintenance_jobs("expire_carts")
        assert api.wait_job(job.id)["state"] == "succeeded"
    finally:
        running.shutdown(wait=True)
