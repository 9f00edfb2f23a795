"""Declaring a job's Dramatiq actor from its job type (`services.platform.job_types`).

`job_actor(job_type, actor_name, handler)` builds the actor with the type's
queue and time limit and the broker redelivery options of `workers.redelivery`
(the job platform counts and retries attempts in the database; the broker
redelivers a message only when the database could not be reached to claim or
release the job), routes the type's jobs to it (`workers.dispatch`),
and returns it. The actor takes only the job id and runs
`workers.runner.run_job(job_id, handler)`; `batch_job_actor` declares one that runs
the job with others of its type queued behind it (`workers.runner.run_batch`).
"""

from __future__ import annotations

from typing import Callable

import dramatiq

from services.platform import JobContext, job_types
from workers.dispatch import register
from workers.redelivery import ACTOR_OPTIONS
from workers.runner import BatchHandler, run_batch, run_job

Handler = Callable[[object, JobContext], dict]


def job_actor(job_type: str, actor_name: str, handler: Handler) -> dramatiq.Actor:
    """The Dramatiq actor `actor_name` (verb_noun) running `job_type` jobs with `handler(job, ctx) -> result`.
    Raises KeyError for an undeclared job type."""
    def perform(job_id: str) -> None:
        run_job(job_id, handler)

    return _declare(job_type, actor_name, perform, f"{handler.__module__}.{handler.__name__}")


def batch_job_actor(job_type: str, actor_name: str, batch_handler: BatchHandler) -> dramatiq.Actor:
    """The actor running `job_type` jobs in batches of up to the type's `batch` with
    `batch_handler(jobs) -> {job id: result or exception}` (`workers.runner.run_batch`): the message's
    job and the other queued jobs of its type, claimed together. Raises KeyError for an undeclared type."""
    size = job_types.job_type(job_type).batch

    def perform(job_id: str) -> None:
        run_batch(job_id, batch_handler, size)

    return _declare(job_type, actor_name, perform, f"{batch_handler.__module__}.{batch_handler.__name__}")


def _declare(job_type: str, actor_name: str, perform: Callable[[str], None], runs: str) -> dramatiq.Actor:
    spec = job_types.job_type(job_type)
    perform.__name__ = perform.__qualname__ = actor_name
    perform.__doc__ = f"Run `{job_type}` job `job_id` with {runs}."
    actor = dramatiq.actor(perform, actor_name=actor_name, queue_name=spec.queue, time_limit=spec.time_limit_ms,
                           **ACTOR_OPTIONS)
    register(job_type, actor)
    return actor
