"""E2E on the embedded shape: `python -m web.serve` (what `make run` starts) on SQLite,
with in-process Dramatiq worker threads and the scheduler thread."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.e2e import flows
from tests.e2e.stack import ROOT, EmbeddedServer, Http

ADMIN_EMAIL = "e2e-embedded-admin@cartwheel.test"
ADMIN_PASSWORD = "orchid-lantern-e2e-7"


@pytest.fixture(scope="module")
def http(embedded):
    return Http(embedded.base)


@pytest.fixture(scope="module")
def admin_token(embedded, http):
    embedded.flask("users", "create-admin", ADMIN_EMAIL, "--password", ADMIN_PASSWORD)
    return flows.login(http, ADMIN_EMAIL, ADMIN_PASSWORD)


def test_embedded_server_reports_health_and_serves_the_docs(embedded, http):
    status, body, _ = http.get("/api/v1/health")
    assert status == 200, body
    assert body["database"]["engine"] == "SqliteDatabase" and body["broker"]["kind"] == "StubBroker", body
    status, spec, _ = http.get("/api/v1/openapi.json")
    assert status == 200 and spec["openapi"].startswith("3.1"), spec
    assert "/api/v1/orders" in spec["paths"]
    response = http.session.get(f"{embedded.base}/api/v1/docs", timeout=10)
    assert response.status_code == 200 and "swagger" in response.text.lower()
    assert "unpkg.com" not in response.text and "cdn.jsdelivr" not in response.text  # local assets only


def test_embedded_server_prints_the_docs_url_and_the_demo_admin(embedded):
    log = embedded.proc.log_path.read_text()
    assert f"{embedded.base}/api/v1/docs" in log
    assert "admin@cartwheel.test / cartwheel-demo-shop" in log


def test_customer_buys_with_cash_on_delivery_on_the_embedded_server(http, admin_token):
    product_id, variant_id = flows.create_product(http, admin_token, price=1800, stock=3)
    token = flows.register_customer(http)
    cart = flows.fill_cart(http, token, product_id, variant_id, quantity=3)

    result = flows.checkout(http, token, cart["id"], "cash_on_delivery")

    order = flows.get_order(http, token, result["orderId"])
    assert (order["status"], order["paymentStatus"]) == ("confirmed", "pending")
    assert order["orderNumber"].startswith("SKN-")
    status, body, _ = http.get(f"/api/v1/products/{product_id}")
    assert status == 200 and body["data"]["variants"][0]["inventoryCount"] == 0, body


def test_guest_checks_out_without_an_account(http, admin_token):
    product_id, variant_id = flows.create_product(http, admin_token, stock=2)
    cart = flows.fill_cart(http, None, product_id, variant_id)

    result = flows.checkout(http, None, cart["id"], "cash_on_delivery")

    assert flows.get_order(http, None, result["orderId"])["status"] == "confirmed"


def test_embedded_server_restarts_on_the_same_database_and_keeps_its_orders(embedded, http, admin_token):
    product_id, variant_id = flows.create_product(http, admin_token, stock=4)
    token = flows.register_customer(http)
    cart = flows.fill_cart(http, token, product_id, variant_id)
    result = flows.checkout(http, token, cart["id"], "cash_on_delivery")

    assert embedded.stop() == 0  # SIGTERM stops it cleanly
    embedded.start()

    order = flows.get_order(Http(embedded.base), token, result["orderId"])
    assert order["orderNumber"] == result["orderNumber"]
    log = embedded.proc.log_path.read_text()
    assert log.count("Cartwheel is serving on") >= 2


def test_bad_setting_stops_start_up_with_one_line_naming_it(tmp_path):
    server = EmbeddedServer(tmp_path, extra_env={"CURRENCY": "XYZ"})
    done = subprocess.run([sys.executable, "-m", "web.serve"], cwd=ROOT, env=server.env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "CURRENCY" in lines[0], done.stderr
