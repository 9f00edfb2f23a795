"""Rendering jobs for HTTP, and answering job-creating requests (DESIGN.md 4.1-4.3).

`accepted(job, replayed)` dispatches a fresh job, honours `Prefer: wait=N`
(RFC 7240, N <= 10 s) and answers 202 (or 200 when the job ended in time)
with `Location`, `Retry-After` and, on a replay, `Idempotent-Replayed: true`. A job that
charges a card (`charges=True`) and ends failed with PAYMENT_ERROR while the client waits is
answered 402 `PAYMENT_ERROR` (seed 004), its details naming the decline code and the job.
"""

from __future__ import annotations

import hashlib
import re
import time

from flask import jsonify, request

from models.db import isoformat
from models.jobs import TERMINAL_STATES, Job
from services.platform import idempotency, jobs, live
from web.errors import error_response
from web.schemas import ErrorEnvelopeSchema, JobEnvelopeSchema
from web.security import BEARER_SECURITY, OPTIONAL_BEARER_SECURITY, caller_scope
from workers.dispatch import dispatch

API = "/api/v1"
MAX_WAIT_SECONDS = 10


IDEMPOTENCY_DOC = {"parameters": [
    {"in": "header", "name": "Idempotency-Key", "schema": {"type": "string", "minLength": 1, "maxLength": 255},
     "required": False,
     "description": "Same key + same body replays the original job; a different body is 422"},
    {"in": "header", "name": "Prefer", "schema": {"type": "string"}, "required": False,
     "description": "wait=N (N <= 10): answer 200 with the finished job if it ends within N seconds"}]}


def documents_job(blp, description: str, secured: bool = True, charges: bool = False):
    """Decorator documenting a job-creating endpoint on `blp`: 202 with the job
    (`description`), 200 with the finished job after `Prefer: wait`, the
    `Idempotency-Key` and `Prefer` headers and bearer auth: required when `secured`,
    optional otherwise (guests may create the job, e.g. a guest checkout); with `charges`,
    the 402 a declined card gets after `Prefer: wait`."""
    doc = dict(IDEMPOTENCY_DOC, security=BEARER_SECURITY if secured else OPTIONAL_BEARER_SECURITY)

    def decorate(view):
        view = blp.doc(**doc)(view)
        if charges:
            view = blp.alt_response(402, schema=ErrorEnvelopeSchema,
                                    description="With Prefer: wait=N, the payment was declined (PAYMENT_ERROR; "
                                                "details name the declineCode and the jobId)")(view)
        view = blp.alt_response(200, schema=JobEnvelopeSchema, description="With Prefer: wait=N, the finished job")(view)
        return blp.response(202, JobEnvelopeSchema, description=description)(view)

    return decorate


def job_to_dict(job: Job) -> dict:
    """The job resource: id, type, state, progress, attempts, result, error, links, times."""
    total = job.progress_total
    completed = job.progress_completed
    percentage = 100 if job.state == "succeeded" else (round(100 * completed / total) if total else 0)
    return {
        "id": job.id, "type": job.type, "state": job.state,
        "progress": {"completed": completed, "total": total, "percentage": percentage,
                     "message": job.progress_message or None},
        "attempts": job.attempts, "maxAttempts": job.max_attempts,
        "result": job.result, "error": job.error, "parentId": job.parent_id,
        "links": {"self": f"{API}/jobs/{job.id}", "events": f"{API}/jobs/{job.id}/events"},
        "createdAt": isoformat(job.created_at), "startedAt": isoformat(job.started_at),
        "updatedAt": isoformat(job.updated_at), "finishedAt": isoformat(job.finished_at),
    }


def etag(job: Job) -> str:
    digest = hashlib.sha1(f"{job.id}:{job.version}:{job.state}".encode()).hexdigest()[:20]
    return f'W/"{digest}"'


def requested_wait() -> int:
    """Seconds from `Prefer: wait=N` (0 when absent or malformed; at most 10)."""
    match = re.search(r"(?:^|[,;\s])wait\s*=\s*(\d{1,6})\b", request.headers.get("Prefer", ""))
    return min(int(match.group(1)), MAX_WAIT_SECONDS) if match else 0


WAIT_RECHECK_SECONDS = 0.5  # a waiting request re-reads the job this often even without a wake-up


def wait_for(job_id: str, seconds: float) -> Job:
    """Wait until the job ends or `seconds` pass; returns the latest row.

    Subscribes to the job's finished channel (`jobs.finished_channel`) before re-reading the
    row, so an end announced in between is not missed, then sleeps until the announcement
    (or every WAIT_RECHECK_SECONDS, as announcements are hints: Redis may drop one).
    One subscription and two or three reads per wait, instead of a read every few ms.
    """
    deadline = time.monotonic() + seconds
    job = Job.get_by_id(job_id)
    if job.state in TERMINAL_STATES:
        return job
    with live.subscribe([jobs.finished_channel(job_id)]) as subscription:
        job = Job.get_by_id(job_id)
        while job.state not in TERMINAL_STATES:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            subscription.get(timeout=min(remaining, WAIT_RECHECK_SECONDS))
            job = Job.get_by_id(job_id)
    return job


def submit(create, scope: str | None = None, body: object = None, guest_resource: str | None = None,
           charges: bool = False):
    """Run `create()` (returns a Job, inside one transaction) under the request's
    `Idempotency-Key`, then answer with `accepted`.

    The key's fingerprint covers the method, path and `body` (default: the JSON
    body; uploads pass a digest of the file). The key is scoped to the caller
    (`web.security.caller_scope`): a guest's to `guest_resource` (the cart or
    order the request acts on) or, without one, to the request itself.
    """
    if body is None:
        body = request.get_json(silent=True)
    fingerprint = idempotency.request_fingerprint(request.method, request.path, body)
    key = request.headers.get("Idempotency-Key")
    scope = scope or caller_scope(guest_resource)
    if scope == "guest:?":
        scope = f"guest:{fingerprint[:40]}"
    job, replayed = idempotency.submit(scope, key, fingerprint, create)
    return accepted(job, replayed, charges=charges)


def declined(job: Job):
    """The 402 PAYMENT_ERROR answer for a payment job that failed while the client waited:
    the job's message and reason, details `declineCode` (when the card was declined) and `jobId`."""
    error = job.error or {}
    details = [*error.get("details", []),
               *([{"field": "declineCode", "message": error["declineCode"]}] if error.get("declineCode") else []),
               {"field": "jobId", "message": job.id}]
    response = error_response(402, "PAYMENT_ERROR", error.get("message") or "The payment failed", details,
                              reason=error.get("reason"))
    response.headers["Location"] = f"{API}/jobs/{job.id}"
    return response


def accepted(job: Job, replayed: bool = False, charges: bool = False):
    """The 202 (or 200 after `Prefer: wait`) answer for a submitted job; with `charges`, 402
    (`declined`) when it failed with PAYMENT_ERROR in time."""
    if not replayed and job.dispatched_at is None:
        dispatch(job)
    wait = requested_wait()
    if wait:
        job = wait_for(job.id, wait)
    if charges and wait and job.state == "failed" and (job.error or {}).get("code") == "PAYMENT_ERROR":
        return declined(job)
    status = 200 if (wait and job.state in TERMINAL_STATES) else 202
    response = jsonify({"data": job_to_dict(job)})
    response.status_code = status
    response.headers["Location"] = f"{API}/jobs/{job.id}"
    response.headers["Retry-After"] = "1"
    response.headers["ETag"] = etag(job)
    if wait:
        response.headers["Preference-Applied"] = f"wait={wait}"
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response
