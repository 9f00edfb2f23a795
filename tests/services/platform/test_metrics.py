"""Multiprocess metrics (services.platform.metrics with PROMETHEUS_MULTIPROC_DIR): what separate
processes count is summed in one scrape; files are named by host and pid; the files of this
host's dead processes are cleaned, live processes' and other hosts' kept (issue 8)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from services.platform import metrics

ROOT = Path(__file__).resolve().parents[3]
RECORD = """
import sys
from services.platform import metrics
for _ in range(int(sys.argv[1])):
    metrics.observe_request("GET", "/api/v1/products/<product_id>", 200, 0.01)
metrics.observe_attempt("probe", "succeeded", 0.5)
metrics.request_started()
print(metrics.process_identifier())
"""


def record_in_a_process(directory: Path, requests: int) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    done = subprocess.run([sys.executable, "-c", RECORD, str(requests)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    return done.stdout.strip()


def samples(text: str) -> dict:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_counts_from_separate_processes_are_summed_in_one_scrape(db, tmp_path, monkeypatch):
    directory = tmp_path / "prometheus"  # its own folder: every *.db file in it is read as metrics
    first, second = record_in_a_process(directory, 3), record_in_a_process(directory, 4)
    assert first != second and first.endswith(tuple("0123456789"))
    names = sorted(p.name for p in directory.glob("*.db"))
    assert f"counter_{first}.db" in names and f"histogram_{second}.db" in names, names
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    scraped = samples(metrics.exposition().decode())
    route = {"method": "GET", "route": "/api/v1/products/<product_id>"}
    assert scraped[("cartwheel_http_requests_total", frozenset({**route, "status": "200"}.items()))] == 7
    assert scraped[("cartwheel_http_request_duration_seconds_count", frozenset(route.items()))] == 7
    assert scraped[("cartwheel_jobs_total", frozenset({"type": "probe", "outcome": "succeeded"}.items()))] == 2
    assert scraped[("cartwheel_database_up", frozenset())] == 1  # the job gauges come from this process's query
    # the in-flight gauge sums the live processes; both recorders have exited, so they are marked dead
    assert scraped[("cartwheel_http_requests_in_flight", frozenset())] == 2
    for identifier in (first, second):
        metrics.mark_process_dead(int(identifier.rsplit("-", 1)[1]))
    assert samples(metrics.exposition().decode()).get(("cartwheel_http_requests_in_flight", frozenset()), 0) == 0


def test_cleaning_removes_only_this_hosts_dead_processes_files(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True).stdout.strip()
    files = {name: tmp_path / name for name in (
        f"counter_{metrics.process_identifier(int(dead))}.db",
        f"gauge_livesum_{metrics.process_identifier(int(dead))}.db",
        f"counter_{metrics.process_identifier()}.db",  # this process: alive
        "counter_another-host-1.db")}  # another container's: cannot be checked from here
    for path in files.values():
        path.write_bytes(b"")
    removed = metrics.clean_multiprocess_dir()
    assert sorted(removed) == sorted(list(files)[:2])
    assert sorted(p.name for p in tmp_path.glob("*.db")) == sorted(list(files)[2:])


def test_route_labels_are_url_rules_without_converter_names():
    from web.metrics import route_label

    assert route_label("/api/v1/products/<product:product_id>") == "/api/v1/products/<product_id>"
    assert route_label("/api/v1/jobs/<id(job):job_id>/events") == "/api/v1/jobs/<job_id>/events"
    assert route_label(None) == "unmatched"
