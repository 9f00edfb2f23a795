"""Structured logs (services.platform.logs): one JSON line per event with the request's or the job's
context, security events marked as such, secrets masked; console lines when not JSON (issue 8)."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

import config
from services.errors import DomainError
from services.platform import jobs, logs
from tests.factories import make_user, token_for
from workers.runner import run_job

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@pytest.fixture()
def lines():
    """Configure JSON logs into a buffer; `lines()` -> the parsed lines so far."""
    stream = io.StringIO()
    logs.configure("api", json=True, stream=stream)

    def read() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]

    yield read
    logs.configure("api", json=False)  # back to console lines on stderr


def test_a_request_logs_one_json_line_with_its_id_route_status_and_duration(client, lines):
    assert client.get("/api/v1/products/prod_doesnotexist", headers={"X-Request-ID": "req_logs_1"}).status_code == 404
    requests = [line for line in lines() if line["event"] == "http_request"]
    assert len(requests) == 1, requests
    line = requests[0]
    assert line["request_id"] == "req_logs_1" and line["route"] == "/api/v1/products/<product_id>"
    assert line["status"] == 404 and line["method"] == "GET" and line["duration_ms"] >= 0
    assert line["level"] == "info" and line["logger"] == "cartwheel.http" and line["process"] == "api"
    assert ISO_UTC.match(line["timestamp"]), line["timestamp"]
    assert list(line)[:4] == ["timestamp", "level", "logger", "event"]


def test_lines_logged_during_a_request_carry_its_id_and_a_failed_login_is_a_security_event(api, lines):
    user = make_user(email="logs-owner@example.com")
    status, _, _ = api.post("/api/v1/auth/login", {"email": user.email, "password": "not-the-password-9"},
                            headers={"X-Request-ID": "req_logs_2"})
    assert status == 401
    security = [line for line in lines() if line.get("category") == "security"]
    assert [line["event"] for line in security] == ["login_failed"], security
    assert security[0]["security"] is True and security[0]["request_id"] == "req_logs_2"
    assert security[0]["logger"] == "cartwheel.security" and "login_failed" in security[0]["message"]
    assert "logs-owner@example.com" not in json.dumps(lines())
    request = next(line for line in lines() if line["event"] == "http_request")
    assert request["request_id"] == "req_logs_2" and request["status"] == 401


def test_the_request_line_names_the_caller_and_never_shows_the_token(api, lines):
    user = make_user()
    token = token_for(user)
    assert api.get("/api/v1/auth/me", token=token)[0] in (200, 404)
    request = [line for line in lines() if line["event"] == "http_request"][-1]
    assert request["user_id"] == user.id
    assert token not in json.dumps(lines())


def test_a_job_attempt_logs_one_line_with_its_id_type_attempt_outcome_and_duration(db, lines):
    job = jobs.create_job("probe", {})

    def handler(job, ctx):
        logging.getLogger("services.example").info("working on it")
        return {}

    run_job(job.id, handler)
    inside = next(line for line in lines() if line["event"] == "working on it")
    assert (inside["job_id"], inside["job_type"], inside["attempt"]) == (job.id, "probe", 1)
    attempts = [line for line in lines() if line["event"] == "job_attempt"]
    assert len(attempts) == 1, attempts
    assert attempts[0]["job_id"] == job.id and attempts[0]["job_type"] == "probe" and attempts[0]["attempt"] == 1
    assert attempts[0]["outcome"] == "succeeded" and attempts[0]["duration_ms"] >= 0
    logging.getLogger("services.example").info("after the job")
    assert "job_id" not in next(line for line in lines() if line["event"] == "after the job")


def test_a_failed_attempt_logs_its_outcome_and_reason(db, lines):
    job = jobs.create_job("probe", {})

    def refuse(job, ctx):
        raise DomainError("no", reason="invalid_request")

    run_job(job.id, refuse)
    attempt = next(line for line in lines() if line["event"] == "job_attempt")
    assert attempt["outcome"] == "failed" and attempt["error"] == "invalid_request" and attempt["level"] == "warning"


def test_secrets_are_masked_by_key_and_inside_text(lines):
    logging.getLogger("cartwheel.test").warning(
        "retrying with Authorization: Bearer sekrit.jwt.value and password=hunter2",
        extra={"password": "hunter2", "token": "t0k3n", "nested": {"api_key": "k3y", "count": 3},
               "headers": [{"authorization": "Basic dXNlcjpwYXNz"}], "email": "shown@example.com"})
    line = lines()[-1]
    text = json.dumps(line)
    for secret in ("hunter2", "t0k3n", "k3y", "sekrit.jwt.value", "dXNlcjpwYXNz"):
        assert secret not in text, secret
    assert line["password"] == line["token"] == logs.REDACTED and line["nested"] == {"api_key": logs.REDACTED,
                                                                                      "count": 3}
    assert "Bearer [REDACTED]" in line["event"] and line["email"] == "shown@example.com"
    assert logs.mask_text("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3IifQ.c2lnbmF0dXJl") == logs.REDACTED


def test_the_security_event_helper_marks_its_lines(lines):
    logs.security_event("role_changed", user_id="usr_1", role="admin", name="collides-with-a-record-field")
    line = lines()[-1]
    assert line["event"] == "role_changed" and line["category"] == "security" and line["security"] is True
    assert line["user_id"] == "usr_1" and line["role"] == "admin" and line["name_"] == "collides-with-a-record-field"
    assert line["level"] == "warning" and line["logger"] == "cartwheel.security"


def test_exceptions_come_out_in_the_line(lines):
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("cartwheel.test").exception("it failed")
    line = lines()[-1]
    assert line["level"] == "error" and "RuntimeError: boom" in line["exception"] and "Traceback" in line["exception"]


def test_console_lines_are_not_json_and_keep_the_pid_layout():
    stream = io.StringIO()
    logs.configure("embedded", json=False, stream=stream)
    try:
        logging.getLogger("cartwheel.test").info("hello %s", "there", extra={"order_id": "ord_1"})
    finally:
        logs.configure("api", json=False)
    line = stream.getvalue().strip()
    with pytest.raises(ValueError):
        json.loads(line)
    assert re.match(r"^\d{4}-\d{2}-\d{2}T[\d:.]+Z \[PID \d+\] \[info\] cartwheel\.test: hello there order_id=ord_1$",
                    line), line


def test_configure_replaces_plain_stream_handlers_and_keeps_the_others():
    root = logging.getLogger()
    plain, other = logging.StreamHandler(io.StringIO()), logging.NullHandler()
    root.addHandler(plain)
    root.addHandler(other)
    try:
        logs.configure("api", json=False)
        assert plain not in root.handlers and other in root.handlers
        assert sum(1 for handler in root.handlers if handler.formatter is not None
                   and type(handler.formatter).__name__ == "ProcessorFormatter") == 1
    finally:
        root.removeHandler(other)


@pytest.mark.parametrize("env, expected", [
    ({"LOG_FORMAT": "json"}, True), ({"LOG_FORMAT": "console", "CARTWHEEL_ENV": "production"}, False),
    ({"CARTWHEEL_ENV": "production"}, True), ({"CARTWHEEL_ENV": "embedded"}, False), ({}, False)])
def test_json_is_the_default_in_production_and_log_format_overrides_it(monkeypatch, env, expected):
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    monkeypatch.delenv("CARTWHEEL_ENV", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert logs.json_default() is expected


def test_a_bad_log_format_is_refused(monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(config.ConfigError, match="LOG_FORMAT"):
        logs.json_default()
