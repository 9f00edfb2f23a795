"""Your data over HTTP (issue 8 "Data protection", web.account_data): `POST /users/me/export` answers
202 with its job, the file downloads as a JSON attachment to its owner only (another customer's id
is 404, a guest 401), an unfinished one is 409 and an expired one 410 and purged by the maintenance
task; `DELETE /users/me` needs the password (and the MFA code), signs out at once, and its job,
polled without a token, leaves the orders anonymised with their totals and no personal data."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

import pyotp
import pytest

from models.db import atomic
from models.jobs import Job
from models.orders import Order
from models.users import User
from services import customers
from services.platform import jobs
from tests.factories import assert_error, make_user, token_for
from services.customers import data_export
from tests.services.customers.test_data_export import PASSWORD, all_jobs_finished, rich_customer
from tests.services.customers.test_erasure import leftovers
from workers.dispatch import dispatch

EXPORT = "/api/v1/users/me/export"
ME = "/api/v1/users/me"


@pytest.fixture()
def cleanup_exports(db):
    """Remove the export files this test's jobs wrote (the folder is shared with the worker process)."""
    yield
    for job in Job.select(Job.id).where(Job.type == "account_export"):
        for path in data_export.export_dir().glob(f"{job.id}.*"):
            path.unlink(missing_ok=True)


def request_export(api, token) -> dict:
    status, body, headers = api.post(EXPORT, token=token)
    assert status == 202, body
    job = body["data"]
    assert job["type"] == "account_export" and headers["Location"] == f"/api/v1/jobs/{job['id']}"
    return job


def test_an_export_downloads_as_a_json_attachment_describing_itself(api, client, cleanup_exports):
    me = rich_customer(api)
    job = api.wait_job(request_export(api, me.token)["id"], token=me.token)
    assert job["state"] == "succeeded", job
    result = job["result"]
    assert set(result) == {"fileName", "sizeBytes", "sha256", "expiresAt", "downloadUrl", "format", "version"}
    response = client.get(result["downloadUrl"], headers={"Authorization": f"Bearer {me.token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == f"attachment; filename={result['fileName']}"
    assert response.headers["Cache-Control"] == "private, no-store"
    content = response.get_data()
    assert len(content) == result["sizeBytes"] and hashlib.sha256(content).hexdigest() == result["sha256"]
    digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
    assert response.headers["Repr-Digest"] == f"sha-256=:{digest}:"
    document = json.loads(content)
    assert document["profile"]["dateOfBirth"] == "1990-01-15"
    assert [o["id"] for o in document["orders"]] == [me.order_id]
    assert document["addresses"][0]["street"] == me.pii["street"]


def test_only_the_owner_downloads_an_export(api, client, cleanup_exports):
    owner, stranger, staff = make_user(), make_user(), make_user(role="staff")
    job = api.wait_job(request_export(api, token_for(owner))["id"], token=token_for(owner))
    url = job["result"]["downloadUrl"]
    for token in (token_for(stranger), token_for(staff)):
        assert_error(*api.get(url, token=token)[:2], 404, "export_not_found")
    assert_error(*api.get(url)[:2], 401, "authentication_required")
    assert_error(*api.get(f"{EXPORT}/job_doesnotexist", token=token_for(owner))[:2], 404, "export_not_found")
    other_job = api.wait_job(request_export(api, token_for(stranger))["id"], token=token_for(stranger))
    assert_error(*api.get(f"{EXPORT}/{other_job['id']}", token=token_for(owner))[:2], 404, "export_not_found")
    assert client.get(url, headers={"Authorization": f"Bearer {token_for(owner)}"}).status_code == 200


def test_an_unfinished_export_is_answered_again_and_is_not_ready(api, cleanup_exports):
    user = make_user()
    token = token_for(user)
    with atomic():
        queued = customers.start_export(user)  # written, not sent: it stays queued
    status, body, _ = api.post(EXPORT, token=token)
    assert status == 202 and body["data"]["id"] == queued.id
    assert_error(*api.get(f"{EXPORT}/{queued.id}", token=token)[:2], 409, "export_not_ready")


def test_an_idempotency_key_replays_the_export_job(api, cleanup_exports):
    token = token_for(make_user())
    first = api.post(EXPORT, token=token, headers={"Idempotency-Key": "my-export"})
    api.wait_job(first[1]["data"]["id"], token=token)
    again = api.post(EXPORT, token=token, headers={"Idempotency-Key": "my-export"})
    assert again[0] == 202 and again[1]["data"]["id"] == first[1]["data"]["id"]
    assert again[2]["Idempotent-Replayed"] == "true"
    fresh = api.post(EXPORT, token=token)  # the first one finished: a new export
    assert fresh[0] == 202 and fresh[1]["data"]["id"] != first[1]["data"]["id"]


def test_an_expired_export_is_gone_and_the_maintenance_task_deletes_its_file(api, cleanup_exports):
    user = make_user()
    token = token_for(user)
    job = api.wait_job(request_export(api, token)["id"], token=token)
    url = job["result"]["downloadUrl"]
    path = customers.export_file(user, job["id"]).path
    Job.update(result=dict(job["result"], expiresAt="2000-01-01T00:00:00.000Z")).where(Job.id == job["id"]).execute()
    assert_error(*api.get(url, token=token)[:2], 410, "export_expired")
    with atomic():
        task = jobs.create_job("maintenance", {"task": "purge_expired_exports"})
    dispatch(task)
    finished = api.wait_job(task.id)
    assert finished["state"] == "succeeded" and finished["result"]["exportFilesDeleted"] >= 1, finished
    assert not path.exists()
    assert_error(*api.get(url, token=token)[:2], 410, "export_expired")


def test_erasure_needs_the_password_and_signs_out_at_once_and_the_job_anonymises(api, client, cleanup_exports):
    me = rich_customer(api, avatar=True)
    avatar = customers.get_profile(me.user)["avatarUrl"]
    assert client.get(avatar).status_code == 200
    staff_token = token_for(make_user(role="staff"))
    total = Order.get_by_id(me.order_id).total

    assert_error(*api.delete(ME, json={"password": "not-it", "code": me.recovery_codes[0]}, token=me.token)[:2],
                 401, "invalid_credentials")
    assert_error(*api.delete(ME, json={"password": PASSWORD}, token=me.token)[:2], 422, "mfa_code_required")
    assert_error(*api.delete(ME, json={"password": PASSWORD, "code": "123456", "extra": 1}, token=me.token)[:2], 422)
    assert_error(*api.delete(ME, token=me.token)[:2], 422)
    assert_error(*api.delete(ME, json={"password": PASSWORD, "code": "1"}, token=me.token)[:2], 422)
    assert api.get("/api/v1/auth/me", token=me.token)[0] == 200  # nothing happened

    status, body, headers = api.delete(ME, json={"password": PASSWORD, "code": me.recovery_codes[1]}, token=me.token)
    assert status == 202, body
    job = body["data"]
    assert job["type"] == "account_erasure" and headers["Location"] == f"/api/v1/jobs/{job['id']}"
    status, body, _ = api.post("/api/v1/auth/login", {"email": me.pii["email"], "password": PASSWORD})
    assert_error(status, body, 401, "invalid_credentials")  # at once, job or no job
    assert api.get("/api/v1/auth/me", token=me.token)[0] == 401
    assert api.post("/api/v1/auth/refresh", {"refreshToken": me.refresh_token})[0] == 401

    finished = api.wait_job(job["id"])  # no token: the job has no owner
    assert finished["state"] == "succeeded", finished
    assert finished["result"]["deleted"]["avatarFiles"] == 1
    all_jobs_finished()
    assert client.get(avatar).status_code == 404
    assert leftovers(me.pii) == {}
    status, body, _ = api.get(f"/api/v1/orders/{me.order_id}", token=staff_token)
    assert status == 200, body
    order = body["data"]
    assert order["total"] == total and order["items"] and order["status"] == "confirmed"
    assert order["customerEmail"] == f"deleted-{me.user.id}@erased.invalid"
    assert order["shippingAddress"] == {"country": "JO", "city": "Amman"}


def test_the_last_admin_cannot_erase_their_account(api):
    admin = make_user(role="admin")
    User.update(is_active=False).where(User.role == "admin", User.id != admin.id).execute()
    token = token_for(admin)
    assert_error(*api.delete(ME, json={"password": PASSWORD}, token=token)[:2], 409, "last_admin")
    assert api.get("/api/v1/auth/me", token=token)[0] == 200


def test_a_current_code_of_the_authenticator_app_is_accepted_once(api):
    user = make_user()
    totp = pyotp.TOTP(customers.start_mfa_setup(user)["secret"])
    customers.confirm_mfa_setup(user, totp.at(dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=30)))
    token = token_for(user)
    status, body, _ = api.delete(ME, json={"password": PASSWORD, "code": totp.now()}, token=token)
    assert status == 202, body
    assert api.get("/api/v1/auth/me", token=token)[0] == 401


def test_api_keys_and_guests_cannot_use_these_routes(api):
    admin = make_user(role="admin")
    key, secret = customers.create_key(admin, "Integration", ["orders:read"])
    headers = {"x-api-key": key.id, "x-app-secret": secret}
    assert_error(*api.post(EXPORT, headers=headers)[:2], 403, "scope_missing")
    assert_error(*api.delete(ME, json={"password": PASSWORD}, headers=headers)[:2], 403, "scope_missing")
    assert_error(*api.post(EXPORT)[:2], 401)
    assert_error(*api.delete(ME, json={"password": PASSWORD})[:2], 401)


def test_the_document_describes_the_three_operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    erase = spec["paths"][ME]["delete"]
    assert erase["security"] == [{"bearerAuth": []}] and "202" in erase["responses"] and "409" in erase["responses"]
    assert erase["requestBody"]["required"] is True
    body = spec["components"]["schemas"]["AccountErasure"]
    assert "required" not in body and set(body["properties"]) == {"password", "code", "otpCode"}
    assert "Idempotency-Key" not in {p["name"] for p in erase.get("parameters", [])}
    start = spec["paths"][EXPORT]["post"]
    assert "202" in start["responses"] and "Idempotency-Key" in {p["name"] for p in start["parameters"]}
    download = spec["paths"][EXPORT + "/{job_id}"]["get"]
    assert set(download["responses"]) >= {"200", "404", "409", "410"}
    assert "application/json" in download["responses"]["200"]["content"]
    assert "AccountExport" in spec["components"]["schemas"]
