"""E2E on the production shape: one Prometheus scrape counts what every gunicorn worker served and
every dramatiq worker ran (multiprocess mode, `PROMETHEUS_MULTIPROC_DIR`), and gunicorn logs JSON
lines (issue 8)."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from services.platform import metrics
from tests.e2e import flows
from tests.e2e.stack import METRICS_SCRAPE_TOKEN, Http

PATH = "/api/v1/metrics/prometheus"
ADMIN_EMAIL = "e2e-metrics-admin@cartwheel.test"
ADMIN_PASSWORD = "harbour-lantern-e2e-41"
MISSING = "/api/v1/products/prod_e2emetricsmissing"
ROUTE_404 = {"method": "GET", "route": "/api/v1/products/<product_id>", "status": "404"}
PROBE_OK = {"type": "probe", "outcome": "succeeded"}


@pytest.fixture(scope="module")
def http(production):
    return Http(production.base)


@pytest.fixture(scope="module")
def admin_token(production, http):
    production.create_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    return flows.login(http, ADMIN_EMAIL, ADMIN_PASSWORD)


def scrape(base: str, token: str = METRICS_SCRAPE_TOKEN) -> dict:
    """{(sample name, frozenset of labels): value} of one scrape of `base`."""
    response = requests.get(base + PATH, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 200, response.text[:500]
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def total(samples: dict, name: str, labels: dict) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def per_process(directory: Path, pid: int, name: str, labels: dict) -> float:
    """What process `pid` alone counted for `name{labels}` (its own file in the multiprocess folder)."""
    path = directory / f"counter_{metrics.process_identifier(pid)}.db"
    if not path.exists():
        return 0.0
    for metric in MultiProcessCollector.merge([str(path)]):
        for sample in metric.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def test_one_scrape_counts_every_gunicorn_worker_and_every_dramatiq_worker(production, http, admin_token):
    directory = Path(production.env["PROMETHEUS_MULTIPROC_DIR"])
    web_workers = production.api.pids()[1:]  # the gunicorn master's children
    assert len(web_workers) == production.web_workers, web_workers
    before = scrape(production.base)
    served_before = {pid: per_process(directory, pid, "cartwheel_http_requests_total", ROUTE_404)
                     for pid in web_workers}

    # Requests on fresh connections, in parallel, until both gunicorn workers have answered some.
    sent = 0
    with ThreadPoolExecutor(max_workers=16) as pool:
        for _ in range(30):
            statuses = list(pool.map(lambda _: requests.get(production.base + MISSING, timeout=10,
                                                            headers={"Connection": "close"}).status_code, range(32)))
            assert set(statuses) == {404}, statuses
            sent += len(statuses)
            served = {pid: per_process(directory, pid, "cartwheel_http_requests_total", ROUTE_404)
                      - served_before[pid] for pid in web_workers}
            if all(count > 0 for count in served.values()):
                break
    assert all(count > 0 for count in served.values()), served  # both workers answered

    probes = []
    for _ in range(6):
        status, body, _ = http.post("/api/v1/jobs/probes", None, token=admin_token)
        assert status == 202, (status, body)
        probes.append(body["data"]["id"])
    for job_id in probes:
        assert http.wait_job(job_id, token=admin_token)["state"] == "succeeded"

    after = scrape(production.base)
    # The scrape (answered by whichever gunicorn worker) sums every process: all requests, all jobs.
    assert total(after, "cartwheel_http_requests_total", ROUTE_404) \
        - total(before, "cartwheel_http_requests_total", ROUTE_404) == sent == sum(served.values())
    assert total(after, "cartwheel_jobs_total", PROBE_OK) - total(before, "cartwheel_jobs_total", PROBE_OK) \
        == len(probes)
    # ...and the jobs were counted by the dramatiq worker processes, not by gunicorn.
    dramatiq = [pid for proc in production.workers if proc.alive() for pid in proc.pids()[1:]]
    by_workers = sum(per_process(directory, pid, "cartwheel_jobs_total", PROBE_OK) for pid in dramatiq)
    assert by_workers >= len(probes), (dramatiq, by_workers)
    assert all(per_process(directory, pid, "cartwheel_jobs_total", PROBE_OK) == 0 for pid in web_workers)
    assert total(after, "cartwheel_database_up", {}) == 1
    assert ("cartwheel_queue_depth", frozenset({"queue": "maintenance"}.items())) in after


def test_the_scrape_token_and_staff_read_the_metrics_and_others_are_refused(production, http, admin_token):
    assert scrape(production.base, admin_token)  # staff/admin JWT
    assert http.get(PATH)[0] == 401
    assert http.get(PATH, token=METRICS_SCRAPE_TOKEN + "-wrong")[0] == 401
    assert http.get(PATH, token=flows.register_customer(http))[0] == 403


def test_gunicorn_logs_one_json_line_per_request_with_its_id(production):
    request_id = f"req_e2e_{int(time.time() * 1000)}"
    assert requests.get(production.base + MISSING, headers={"X-Request-ID": request_id}, timeout=10).status_code == 404
    deadline = time.monotonic() + 10
    while True:
        lines = [json.loads(line) for line in production.api.log_path.read_text(errors="replace").splitlines()
                 if line.startswith("{")]
        mine = [line for line in lines if line.get("request_id") == request_id and line["event"] == "http_request"]
        if mine or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(mine) == 1, mine
    assert mine[0]["route"] == ROUTE_404["route"] and mine[0]["status"] == 404 and mine[0]["process"] == "api"
    assert mine[0]["level"] == "info" and mine[0]["timestamp"].endswith("Z") and mine[0]["duration_ms"] >= 0
