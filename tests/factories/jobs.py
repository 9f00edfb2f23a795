"""Jobs: running code as a request would (jobs dispatched after it), waiting for job trees and fan-outs."""

from __future__ import annotations

import time

from models.db import atomic
from models.jobs import Job
from models.notifications import Notification
from services.platform import events, jobs
from workers.dispatch import dispatch_created

TERMINAL = ("succeeded", "failed", "cancelled")


def dispatching(fn):
    """Run `fn` as a request would: the jobs it creates are dispatched once it returns."""
    token = jobs.collect_created()
    try:
        result = fn()
    finally:
        created = jobs.drain_created(token)
    dispatch_created(created)
    return result


def emit(event, subject_id, data=None):
    def write():
        with atomic():
            return events.emit(event, subject_id, data or {})
    return dispatching(write)


def wait_until(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def wait_tree(root_id, timeout=30.0) -> list[Job]:
    """Wait until `root_id` and every job below it ended; returns them (root first)."""
    def done():
        root = Job.get_or_none(Job.id == root_id)
        if root is None:
            return None
        found, frontier = [root], [root_id]
        while frontier:
            rows = list(Job.select().where(Job.parent_id.in_(frontier)))
            found.extend(rows)
            frontier = [j.id for j in rows]
        return found if all(j.state in TERMINAL for j in found) else None
    return wait_until(done, timeout, f"jobs under {root_id}")


def fanout_job(event, subject_id, timeout=30.0) -> Job:
    def find():
        return next((j for j in Job.select().where(Job.type == "event_fanout")
                     if j.payload.get("event") == event and j.payload.get("subjectId") == subject_id), None)
    return wait_until(find, timeout, f"{event} fan-out for {subject_id}")


def notifications_of(job: Job) -> list[Notification]:
    return list(Notification.select().where(Notification.source_job_id == job.id).order_by(Notification.channel))
