"""`GET /api/v1/metrics/prometheus`: the text exposition of HTTP, job, cache and job-table metrics,
for staff, admins and the scrape token (issue 8).

Counters live in this process for the whole test session, so every check compares a scrape
before and after what it does."""

from __future__ import annotations

import datetime as dt

import pytest
from prometheus_client.parser import text_string_to_metric_families

from models.db import utcnow
from models.jobs import Job
from services.errors import DomainError
from services.platform import jobs
from tests.factories import make_product, quick_user, token_for
from workers.runner import run_job

PATH = "/api/v1/metrics/prometheus"
SCRAPE_TOKEN = "scrape-token-for-tests-0123456789"


@pytest.fixture()
def staff_token(db):
    return token_for(quick_user(role="staff"))


def scrape(client, token) -> dict:
    """{(sample name, frozenset of labels): value} of one scrape."""
    response = client.get(PATH, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain"), response.content_type
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_by_method_route_template_and_status(client, staff_token):
    before = scrape(client, staff_token)
    for _ in range(2):
        assert client.get("/api/v1/products/prod_doesnotexist").status_code == 404
    assert client.get("/api/v1/products").status_code == 200
    assert client.get("/api/v1/no/such/route/here").status_code == 404
    after = scrape(client, staff_token)

    detail = {"method": "GET", "route": "/api/v1/products/<product_id>"}
    assert value(after, "cartwheel_http_requests_total", **detail, status="404") \
        - value(before, "cartwheel_http_requests_total", **detail, status="404") == 2
    assert value(after, "cartwheel_http_requests_total", method="GET", route="/api/v1/products", status="200") \
        - value(before, "cartwheel_http_requests_total", method="GET", route="/api/v1/products", status="200") == 1
    assert value(after, "cartwheel_http_request_duration_seconds_count", **detail) \
        - value(before, "cartwheel_http_request_duration_seconds_count", **detail) == 2
    assert value(after, "cartwheel_http_requests_total", method="GET", route="unmatched", status="404") \
        - value(before, "cartwheel_http_requests_total", method="GET", route="unmatched", status="404") == 1
    routes = {dict(labels).get("route") for name, labels in after if name == "cartwheel_http_requests_total"}
    assert not any("doesnotexist" in route or "no/such" in route for route in routes), routes  # never raw paths


def test_staff_read_the_metrics_customers_get_403_and_guests_401_in_the_envelope(client, staff_token):
    assert client.get(PATH, headers={"Authorization": f"Bearer {staff_token}"}).status_code == 200
    admin = token_for(quick_user(role="admin"))
    assert client.get(PATH, headers={"Authorization": f"Bearer {admin}"}).status_code == 200
    customer = client.get(PATH, headers={"Authorization": f"Bearer {token_for(quick_user())}"})
    assert customer.status_code == 403 and customer.get_json()["error"]["code"] == "AUTHORIZATION_ERROR"
    anonymous = client.get(PATH)
    assert anonymous.status_code == 401 and anonymous.get_json()["error"]["code"] == "AUTHENTICATION_ERROR"


def test_the_scrape_token_reads_the_metrics_and_a_wrong_one_is_401(client, db, monkeypatch):
    monkeypatch.setenv("METRICS_SCRAPE_TOKEN", SCRAPE_TOKEN)
    scraped = client.get(PATH, headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
    assert scraped.status_code == 200 and b"cartwheel_http_requests_total" in scraped.data
    wrong = client.get(PATH, headers={"Authorization": f"Bearer {SCRAPE_TOKEN}x"})
    assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "AUTHENTICATION_ERROR"
    assert client.get("/api/v1/products", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"}).status_code == 401
    monkeypatch.delenv("METRICS_SCRAPE_TOKEN")
    assert client.get(PATH, headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"}).status_code == 401


def test_job_attempts_are_counted_by_type_and_outcome_with_duration_and_queue_wait(client, staff_token):
    before = scrape(client, staff_token)
    done = jobs.create_job("probe", {})
    Job.update(created_at=utcnow() - dt.timedelta(seconds=3)).where(Job.id == done.id).execute()
    run_job(done.id, lambda job, ctx: {"ok": True})
    refused = jobs.create_job("probe", {})

    def refuse(job, ctx):
        raise DomainError("not today", reason="invalid_request")

    run_job(refused.id, refuse)
    after = scrape(client, staff_token)

    assert Job.get_by_id(done.id).state == "succeeded" and Job.get_by_id(refused.id).state == "failed"
    for outcome in ("succeeded", "failed"):
        assert value(after, "cartwheel_jobs_total", type="probe", outcome=outcome) \
            - value(before, "cartwheel_jobs_total", type="probe", outcome=outcome) == 1, outcome
    assert value(after, "cartwheel_job_duration_seconds_count", type="probe") \
        - value(before, "cartwheel_job_duration_seconds_count", type="probe") == 2
    waits = (value(after, "cartwheel_job_queue_wait_seconds_count", type="probe")
             - value(before, "cartwheel_job_queue_wait_seconds_count", type="probe"))
    waited = (value(after, "cartwheel_job_queue_wait_seconds_sum", type="probe")
              - value(before, "cartwheel_job_queue_wait_seconds_sum", type="probe"))
    assert waits == 2 and waited >= 3  # the first job was created 3 s before its claim


def test_the_job_table_gauges_show_queued_work_and_the_outbox_lag(client, staff_token):
    queued = jobs.create_job("probe", {})  # never sent: no request dispatched it
    Job.update(updated_at=utcnow() - dt.timedelta(seconds=30)).where(Job.id == queued.id).execute()
    samples = scrape(client, staff_token)
    assert value(samples, "cartwheel_database_up") == 1
    assert value(samples, "cartwheel_queue_depth", queue="maintenance") >= 1
    assert value(samples, "cartwheel_jobs", type="probe", state="queued") >= 1
    assert value(samples, "cartwheel_jobs", type="checkout", state="running") == 0  # every declared type is there
    assert value(samples, "cartwheel_outbox_lag_seconds") >= 30
    jobs.mark_dispatched(queued.id)
    assert value(scrape(client, staff_token), "cartwheel_outbox_lag_seconds") < 30


def test_the_catalog_cache_counts_its_hits_and_misses(client, staff_token, cached):
    make_product(name="Tomme", price=700, stock=3)
    before = scrape(client, staff_token)
    assert client.get("/api/v1/products?limit=7").headers["X-Cache"] == "miss"
    assert client.get("/api/v1/products?limit=7").headers["X-Cache"] == "hit"
    assert client.get("/api/v1/products?limit=7").headers["X-Cache"] == "hit"
    client.get("/api/v1/products?limit=7", headers={"Authorization": f"Bearer {staff_token}"})  # bypass: not counted
    after = scrape(client, staff_token)
    assert value(after, "cartwheel_catalog_cache_total", result="miss") \
        - value(before, "cartwheel_catalog_cache_total", result="miss") == 1
    assert value(after, "cartwheel_catalog_cache_total", result="hit") \
        - value(before, "cartwheel_catalog_cache_total", result="hit") == 2
