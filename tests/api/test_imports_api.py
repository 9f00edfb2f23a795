"""Catalog import over HTTP: a Shopify CSV upload becomes a `bulk` job that the real
worker runs, with a row-level report; unreadable files are refused synchronously."""

import io
from pathlib import Path

import pytest

from models.catalog import Product, Store
from models.jobs import Job
from tests.factories import make_user, token_for

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "shopify"
URL = "/api/v1/admin/imports/products"


def upload(api, content: bytes, token=None, filename="products.csv", headers=None, **form):
    data = {"file": (io.BytesIO(content), filename), **form}
    return api.call("POST", URL, token=token, headers=headers, data=data, content_type="multipart/form-data")


def assert_error(status, body, expected_status, reason=None):
    assert status == expected_status, body
    assert body["error"]["code"] and body["error"]["requestId"]
    if reason:
        assert body["error"]["reason"] == reason, body


def test_import_of_a_shopify_csv_runs_as_a_job_with_a_report(api, admin_token):
    store = Store.create(name="Demo", slug="demo")
    status, body, headers = upload(api, (SAMPLES / "jewelery.csv").read_bytes(), token=admin_token,
                                   filename="jewelery.csv", storeId=store.id)
    assert status == 202, body
    job = body["data"]
    assert job["type"] == "product_import" and job["progress"]["total"] == 20
    assert headers["Location"] == f"/api/v1/jobs/{job['id']}"
    done = api.wait_job(job["id"], token=admin_token)
    assert done["state"] == "succeeded", done
    report = done["result"]
    assert len(report["created"]) == 20 and report["updated"] == [] and report["skipped"] == []
    assert report["filename"] == "jewelery.csv" and report["rows"] == 41
    assert done["progress"] == {"completed": 20, "total": 20, "percentage": 100,
                                "message": done["progress"]["message"]}
    status, body, _ = api.get("/api/v1/products/gemstone")
    assert status == 200 and body["data"]["storeId"] == store.id
    assert [v["name"] for v in body["data"]["variants"]] == ["Blue", "Purple"]
    assert body["data"]["price"] == 2799 and body["data"]["category"] == "necklace"


def test_importing_the_same_csv_twice_updates_instead_of_duplicating(api, admin_token):
    content = (SAMPLES / "home-and-garden.csv").read_bytes()
    first = api.wait_job(upload(api, content, token=admin_token)[1]["data"]["id"], token=admin_token)
    second = api.wait_job(upload(api, content, token=admin_token)[1]["data"]["id"], token=admin_token)
    assert first["state"] == second["state"] == "succeeded"
    assert second["result"]["created"] == [] and sorted(second["result"]["updated"]) == \
        sorted(first["result"]["created"])
    assert Product.select().count() == 20


def test_import_report_lists_skipped_rows_with_reasons(api, admin_token):
    csv_text = ("Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price\n"
                "good,Good,Title,Default Title,G-1,10.00\n"
                "bad,Bad,Title,Default Title,B-1,ten\n"
                "untitled,,Title,Default Title,U-1,5\n")
    status, body, _ = upload(api, csv_text.encode(), token=admin_token)
    assert status == 202, body
    report = api.wait_job(body["data"]["id"], token=admin_token)["result"]
    assert report["successful"] == ["good"]
    assert {(s["handle"], s["row"], s["reason"]) for s in report["skipped"]} == {
        ("bad", 3, "invalid_price"), ("untitled", 4, "missing_title")}
    assert {f["id"]: f["reason"] for f in report["failed"]} == {"bad": "invalid_price", "untitled": "missing_title"}


@pytest.mark.parametrize("content, reason", [
    (b"", "empty_file"),
    (b"Name,Price\nShirt,10\n", "missing_handle_column"),
    ("Handle,Title\nbrie,Fromage affiné\n".encode("latin-1"), "not_utf8"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00", "not_csv"),
])
def test_a_file_that_is_not_a_product_csv_is_refused_with_422(api, admin_token, content, reason):
    status, body, _ = upload(api, content, token=admin_token)
    assert_error(status, body, 422, reason)
    assert Job.select().count() == 0


def test_an_upload_without_a_file_is_refused(api, admin_token):
    status, body, _ = api.call("POST", URL, token=admin_token, data={"storeId": "x"},
                               content_type="multipart/form-data")
    assert_error(status, body, 422, "missing_file")
    status, body, _ = api.post(URL, {"csv": "Handle\nx"}, token=admin_token)
    assert_error(status, body, 422, "missing_file")


def test_an_unknown_store_is_refused(api, admin_token):
    status, body, _ = upload(api, (SAMPLES / "apparel.csv").read_bytes(), token=admin_token, storeId="store_nope")
    assert_error(status, body, 422, "unknown_store")


def test_a_file_over_five_megabytes_is_refused(api, admin_token):
    status, body, _ = upload(api, b"Handle,Title\n" + b"x,y\n" * (1_400_000), token=admin_token)
    assert_error(status, body, 413, "file_too_large")


def test_imports_are_admin_only(api, db):
    content = (SAMPLES / "apparel.csv").read_bytes()
    assert_error(*upload(api, content)[:2], 401)
    assert_error(*upload(api, content, token=token_for(make_user()))[:2], 403)
    assert_error(*upload(api, content, token=token_for(make_user(role="staff")))[:2], 403)


def test_an_idempotency_key_replays_the_job_for_the_same_file_only(api, admin_token):
    content = (SAMPLES / "apparel.csv").read_bytes()
    key = {"Idempotency-Key": "import-apparel-1"}
    status, first, _ = upload(api, content, token=admin_token, headers=key)
    assert status == 202
    status, again, headers = upload(api, content, token=admin_token, headers=key)
    assert again["data"]["id"] == first["data"]["id"] and headers["Idempotent-Replayed"] == "true"
    status, body, _ = upload(api, (SAMPLES / "jewelery.csv").read_bytes(), token=admin_token, headers=key)
    assert_error(status, body, 422, "idempotency_key_reused")
    api.wait_job(first["data"]["id"], token=admin_token)


def test_import_endpoint_documents_a_multipart_body(api, db):
    _, spec, _ = api.get("/api/v1/openapi.json")
    operation = spec["paths"][URL]["post"]
    assert operation["summary"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
