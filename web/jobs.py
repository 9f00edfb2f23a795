"""Jobs: read, list, cancel, stream events; admin list of failed jobs, retry, and probes."""

from __future__ import annotations

import json
import time

import marshmallow as ma
from flask import Response, jsonify, request, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from models.jobs import JOB_STATES, TERMINAL_STATES, Job
from services.errors import NotFound
from services.platform import jobs, probe
from web.jobview import accepted, documents_job, etag, job_to_dict, submit
from web.schemas import (ErrorEnvelopeSchema, JobEnvelopeSchema, JobListSchema, JobSchema, PaginationArgsSchema,
                         pagination)
from web.security import BEARER_SECURITY, OPTIONAL_BEARER_SECURITY, checked, current_user, require_admin
from web.sse import SSE_HEADERS, acquire_stream_slot, documents_stream, stream_options, too_many_streams

blp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs", description="Asynchronous jobs (poll, stream, cancel)")

JOB_POLL_SECONDS = 0.25  # job rows are re-read this often (keep-alive and length: SSE_* settings)


class JobQueryArgsSchema(PaginationArgsSchema):
    type = ma.fields.String(validate=validate.Length(max=50))
    state = ma.fields.String(validate=validate.OneOf(JOB_STATES))


def visible_job(job_id: str) -> Job:
    """The job if the caller may see it: a guest job (no owner) by its id, an owned
    job by its owner or staff. Anyone else gets 404."""
    job = Job.get_or_none(Job.id == job_id)
    user = current_user()
    if job is None or (job.owner_id and not (user and (user.id == job.owner_id or user.is_staff))):
        raise NotFound("Job not found", reason="job_not_found")
    return job


@blp.route("")
class Jobs(MethodView):
    @blp.arguments(JobQueryArgsSchema, location="query")
    @blp.response(200, JobListSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def get(self, args):
        """List the caller's jobs (admins and staff: everyone's; guests: none)."""
        user = current_user()
        if user is None:
            owner = "guest-jobs-are-not-listed"
        else:
            owner = None if user.is_staff else user.id
        rows, total = jobs.list_jobs(owner, args.get("type"), args.get("state"), args["page"], args["limit"])
        return {"data": [job_to_dict(j) for j in rows], "pagination": pagination(args["page"], args["limit"], total)}


@blp.route("/probes")
class JobProbes(MethodView):
    @documents_job(blp, "The probe job (a no-op the `maintenance` queue runs; its result has waitedMs)")
    def post(self):
        """Write a no-op `probe` job (admin): checks that workers consume, and measures the platform's own cost."""
        admin = require_admin()
        return submit(lambda: probe.create_probe(admin.id), body={})


@blp.route("/<id(job):job_id>")
class JobById(MethodView):
    @blp.response(200, JobEnvelopeSchema)
    @blp.alt_response(304, description="Not modified (If-None-Match matched the ETag)")
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def get(self, job_id):
        """Get a job (supports ETag / If-None-Match)."""
        job = visible_job(job_id)
        tag = etag(job)
        if tag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
            response = Response(status=304)
        else:
            response = jsonify({"data": job_to_dict(job)})
        response.headers["ETag"] = tag
        if job.state not in TERMINAL_STATES:
            response.headers["Retry-After"] = "1"
        response.headers["Cache-Control"] = "no-cache"
        return response


@blp.route("/<id(job):job_id>/cancel")
class JobCancel(MethodView):
    @blp.response(202, JobEnvelopeSchema)
    @blp.alt_response(409, schema=ErrorEnvelopeSchema,
                      description="The job already ended (job_finished), or its work committed (job_not_cancellable)")
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def post(self, job_id):
        """Request cancellation (a running job stops at its next checkpoint)."""
        job = jobs.request_cancel(visible_job(job_id))
        return jsonify({"data": job_to_dict(job)}), 202


def _event(job: Job) -> str:
    return f"id: {job.version}\nevent: job\ndata: {json.dumps(job_to_dict(job), separators=(',', ':'))}\n\n"


@blp.route("/<id(job):job_id>/events")
class JobEvents(MethodView):
    @documents_stream(blp, "text/event-stream of `job` events (the job resource) until the job ends",
                      {"job": JobSchema}, security=OPTIONAL_BEARER_SECURITY)
    def get(self, job_id):
        """Stream state and progress changes as Server-Sent Events until the job ends."""
        job = visible_job(job_id)
        release = acquire_stream_slot()  # shared cap with the live-update streams (web.sse)
        if release is None:
            return too_many_streams()
        options = stream_options()

        def generate():
            last_version = None
            started = last_sent = time.monotonic()
            current = job
            while True:
                if current.version != last_version:
                    last_version = current.version
                    last_sent = time.monotonic()
                    yield _event(current)
                if current.state in TERMINAL_STATES or time.monotonic() - started > options["max_seconds"]:
                    return
                if time.monotonic() - last_sent > options["keepalive_seconds"]:
                    last_sent = time.monotonic()
                    yield ": keep-alive\n\n"
                time.sleep(JOB_POLL_SECONDS)
                current = Job.get_by_id(job_id)

        response = Response(stream_with_context(generate()), mimetype="text/event-stream", headers=SSE_HEADERS)
        response.call_on_close(release)
        return response


admin_blp = Blueprint("admin_jobs", __name__, url_prefix="/api/v1/admin/jobs", description="Admin: failed jobs")


class FailedJobArgsSchema(PaginationArgsSchema):
    type = ma.fields.String(validate=validate.Length(max=50))


@admin_blp.route("/failed")
class FailedJobs(MethodView):
    @checked(require_admin)
    @admin_blp.arguments(FailedJobArgsSchema, location="query")
    @admin_blp.response(200, JobListSchema)
    @admin_blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """List failed jobs (admin)."""
        rows, total = jobs.list_jobs(None, args.get("type"), "failed", args["page"], args["limit"])
        return {"data": [job_to_dict(j) for j in rows], "pagination": pagination(args["page"], args["limit"], total)}


@admin_blp.route("/<id(job):job_id>/retry")
class FailedJobRetry(MethodView):
    @admin_blp.response(202, JobEnvelopeSchema)
    @admin_blp.doc(security=BEARER_SECURITY)
    def post(self, job_id):
        """Retry a failed job with a fresh attempt budget (admin)."""
        require_admin()
        job = jobs.retry_failed(jobs.get_job(job_id))
        return accepted(job)
