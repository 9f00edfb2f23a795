"""No query on a hot path scans a table (issue 7), checked with EXPLAIN on PostgreSQL.

Every statement of the hot paths is captured while they run in this process:
browsing (product list, product page), a guest cart and checkout, the checkout
job and its children (fraud score, order-placed fan-out, notification sends),
job polling, and the relay's and queue health's reads. Each captured SELECT,
UPDATE and DELETE is then EXPLAINed with `enable_seqscan = off`: a plan that
still has a `Seq Scan` has no index that can serve it. Only tables that stay
small by nature (one row per warehouse, store, fraud rule, queue, counter,
model version or shipping zone) may be scanned.
"""

import pytest

from models.db import atomic, database
from models.jobs import Job
from services import orders
from services.orders import checkout
from tests.conftest import TEST_DATABASE_URL
from tests.factories import checkout_body, fill_cart, make_product
from web.orders import OrderCreateSchema
from workers import relay
from workers.runner import run_batch, run_job

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgres"),
                                reason="query plans are checked on PostgreSQL (TEST_DATABASE_URL)")

SMALL_TABLES = {"warehouse", "store", "fraud_rule", "queue_consumption", "order_counter", "model_version",
                "discount_code", "category", "shipping_zone"}


@pytest.fixture()
def captured(monkeypatch):
    statements = []
    real = database.obj.execute_sql

    def recording(sql, params=None, *args, **kwargs):
        head = sql.lstrip().split(None, 1)[0].upper()
        if head in ("SELECT", "UPDATE", "DELETE"):
            statements.append((sql, tuple(params or ())))
        return real(sql, params, *args, **kwargs)

    monkeypatch.setattr(database.obj, "execute_sql", recording)
    return statements


def run_hot_paths(api):
    product = make_product(stock=50)
    api.get("/api/v1/products?limit=20")
    api.get(f"/api/v1/products/{product.id}")
    api.get(f"/api/v1/products/{product.handle}")
    cart_id = fill_cart(api, product)
    with atomic():
        job = checkout.start_checkout(None, OrderCreateSchema().load(checkout_body(cart_id)))
    api.get(f"/api/v1/jobs/{job.id}")
    run_job(job.id, orders.run_checkout_job)
    from workers.dispatch import ACTORS  # noqa: F401  (handlers are those the actors run)
    from services import fraud, notifications
    from services.platform import events

    runs = {"fraud_score": lambda job_id: run_batch(job_id, fraud.run_fraud_score_batch, 16),
            "event_fanout": lambda job_id: run_job(job_id, events.run_event_job),
            "notification_send": lambda job_id: run_job(job_id, notifications.send_notification_job)}
    for _ in range(3):  # children, then grandchildren
        for child in Job.select().where(Job.state == "queued", Job.type.in_(list(runs))):
            runs[child.type](child.id)
    api.get(f"/api/v1/jobs/{job.id}")
    api.get("/api/v1/health")
    relay.relay_once(grace_seconds=0)
    return job


def seq_scans(sql: str, params: tuple) -> list[str]:
    cursor = database.connection().cursor()
    cursor.execute("SET enable_seqscan = off")
    try:
        cursor.execute("EXPLAIN " + sql, params)
        plan = [row[0] for row in cursor.fetchall()]
    finally:
        cursor.execute("SET enable_seqscan = on")
    found = []
    for line in plan:
        if "Seq Scan on " in line:
            table = line.split("Seq Scan on ", 1)[1].split()[0].strip('"')
            if table not in SMALL_TABLES:
                found.append(table)
    return found


def test_no_hot_path_query_scans_a_table(app, api, captured, monkeypatch):
    from workers import runner

    monkeypatch.setattr(runner, "dispatch_created", lambda created: None)  # this process runs the children
    job = run_hot_paths(api)
    assert Job.get_by_id(job.id).state == "succeeded"
    finished = {j.type for j in Job.select(Job.type).where(Job.state == "succeeded")}
    assert {"checkout", "fraud_score", "event_fanout", "notification_send"} <= finished, finished
    assert len(captured) > 30
    assert any("FOR UPDATE SKIP LOCKED" in sql for sql, _ in captured)  # the fraud batch's claim_more
    print(f"{len(captured)} statements, {len(set(sql for sql, _ in captured))} distinct")
    problems = {}
    for sql, params in captured:
        tables = seq_scans(sql, params)
        if tables:
            problems.setdefault(sql, tables)
    assert problems == {}, "\n\n".join(f"{tables}: {sql}" for sql, tables in problems.items())


def test_the_check_finds_a_query_no_index_serves(db):
    assert seq_scans("SELECT id FROM job WHERE progress_message = %s", ("x",)) == ["job"]
    assert seq_scans("SELECT id FROM job WHERE state = 'queued' AND dispatched_at IS NULL", ()) == []
