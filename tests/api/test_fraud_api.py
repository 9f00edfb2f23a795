"""Admin fraud endpoints: access control, validation (422 for a bad rule), 404s, rule order,
model versions (activate, rollback) and the client-IP policy."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from services.platform import model_registry
from tests.factories import make_user, token_for
from web.request_info import client_ip

ENDPOINTS = [
    ("GET", "/api/v1/admin/fraud/rules", None),
    ("POST", "/api/v1/admin/fraud/rules", {"rule": "block if risk_score >= 75"}),
    ("POST", "/api/v1/admin/fraud/rules/reorder", {"ruleIds": []}),
    ("PATCH", "/api/v1/admin/fraud/rules/frr_x", {"enabled": False}),
    ("DELETE", "/api/v1/admin/fraud/rules/frr_x", None),
    ("GET", "/api/v1/admin/fraud/reviews", None),
    ("POST", "/api/v1/admin/fraud/reviews/ord_x/approve", None),
    ("POST", "/api/v1/admin/fraud/reviews/ord_x/reject", None),
    ("GET", "/api/v1/admin/fraud/orders/ord_x/assessment", None),
    ("POST", "/api/v1/admin/ml/fraud/train", {}),
    ("GET", "/api/v1/admin/ml/fraud/models", None),
    ("GET", "/api/v1/admin/ml/fraud/models/mdl_x", None),
    ("POST", "/api/v1/admin/ml/fraud/models/mdl_x/activate", None),
    ("POST", "/api/v1/admin/ml/fraud/rollback", None),
]


def test_fraud_admin_endpoints_refuse_guests_customers_and_staff(api, db):
    tokens = {role: token_for(make_user(role=role)) for role in ("customer", "staff")}
    for method, path, body in ENDPOINTS:
        assert api.call(method, path, json=body)[0] == 401, path
        for role, token in tokens.items():
            status, resp, _ = api.call(method, path, json=body, token=token)
            assert status == 403 and resp["error"]["code"] == "AUTHORIZATION_ERROR", (path, role, resp)


def test_unknown_ids_are_not_found(api, admin_token):
    for method, path, body in [e for e in ENDPOINTS if "_x" in e[1]]:
        status, resp, _ = api.call(method, path, json=body, token=admin_token)
        assert status == 404 and resp["error"]["code"] == "RESOURCE_NOT_FOUND", (path, resp)


BAD_RULES = [
    {"rule": "block if risk_score >="}, {"rule": "explode if amount > 1"}, {"rule": "block if nope > 1"},
    {"rule": "block if amount > 'ten'"}, {"rule": ""}, {"rule": 5}, {}, {"rule": "block if amount > 1", "x": 1},
    {"rule": "block if amount > 1", "position": -1}, {"rule": "block if amount > 1", "position": "1"},
]


def test_a_bad_rule_is_refused_with_422_and_nothing_is_stored(api, admin_token):
    for body in BAD_RULES:
        status, resp, _ = api.post("/api/v1/admin/fraud/rules", body, token=admin_token)
        assert status == 422 and resp["error"]["code"] == "VALIDATION_ERROR", (body, resp)
    assert api.get("/api/v1/admin/fraud/rules", token=admin_token)[1]["data"] == []


def test_rules_are_created_updated_reordered_and_deleted(api, admin_token):
    status, body, _ = api.get("/api/v1/admin/fraud/rules", token=admin_token)
    assert body["defaultsInEffect"] is True and "block if risk_level = 'highest'" in body["defaults"]
    ids = []
    for text in ("block if risk_score >= 75", "review if amount > 50000 and is_new_customer"):
        status, body, _ = api.post("/api/v1/admin/fraud/rules", {"rule": text, "description": "d"}, token=admin_token)
        assert status == 201, body
        ids.append(body["data"]["id"])
    status, body, _ = api.post("/api/v1/admin/fraud/rules", {"rule": "Allow if :is_guest: = false", "position": 0},
                               token=admin_token)
    assert body["data"]["rule"] == "allow if is_guest = false" and body["data"]["position"] == 0
    ids.insert(0, body["data"]["id"])
    listed = api.get("/api/v1/admin/fraud/rules", token=admin_token)[1]
    assert [r["id"] for r in listed["data"]] == ids and listed["defaultsInEffect"] is False

    status, body, _ = api.call("PATCH", f"/api/v1/admin/fraud/rules/{ids[1]}",
                               json={"rule": "block if risk_score >= 80", "enabled": False}, token=admin_token)
    assert status == 200 and body["data"]["condition"] == "risk_score >= 80" and body["data"]["enabled"] is False
    status, body, _ = api.call("PATCH", f"/api/v1/admin/fraud/rules/{ids[1]}", json={"rule": "block if"},
                               token=admin_token)
    assert status == 422
    assert api.call("PATCH", f"/api/v1/admin/fraud/rules/{ids[1]}", json={}, token=admin_token)[0] == 422

    status, body, _ = api.post("/api/v1/admin/fraud/rules/reorder", {"ruleIds": ids[::-1]}, token=admin_token)
    assert status == 200 and [r["id"] for r in body["data"]] == ids[::-1]
    assert [r["position"] for r in body["data"]] == [0, 1, 2]
    for bad in (ids[:2], ids + ["frr_other"], [ids[0]] * 3):
        assert api.post("/api/v1/admin/fraud/rules/reorder", {"ruleIds": bad}, token=admin_token)[0] == 422

    assert api.delete(f"/api/v1/admin/fraud/rules/{ids[2]}", token=admin_token)[0] == 204
    listed = api.get("/api/v1/admin/fraud/rules", token=admin_token)[1]["data"]
    assert [r["id"] for r in listed] == [ids[1], ids[0]] and [r["position"] for r in listed] == [0, 1]


def test_model_versions_are_listed_activated_and_rolled_back(api, admin_token):
    x = np.random.default_rng(0).normal(size=(40, 2))
    y = (x[:, 0] > 0).astype(int)
    v1, v2 = (model_registry.register("fraud", LogisticRegression().fit(x, y), {"test": {}}, ["a", "b"])
              for _ in range(2))
    other = model_registry.register("recommendations", LogisticRegression().fit(x, y), {}, ["a"])
    status, body, _ = api.get("/api/v1/admin/ml/fraud/models", token=admin_token)
    assert status == 200 and [v["version"] for v in body["data"]] == [2, 1] and body["pagination"]["total"] == 2
    assert body["data"][0]["artifactSha256"] == v2.artifact_sha256
    assert api.get(f"/api/v1/admin/ml/fraud/models/{other.id}", token=admin_token)[0] == 404
    assert api.post(f"/api/v1/admin/ml/fraud/models/{other.id}/activate", token=admin_token)[0] == 404
    status, body, _ = api.post("/api/v1/admin/ml/fraud/rollback", token=admin_token)
    assert status == 409 and body["error"]["code"] == "CONFLICT"
    for version in (v1, v2):
        status, body, _ = api.post(f"/api/v1/admin/ml/fraud/models/{version.id}/activate", token=admin_token)
        assert status == 200 and body["data"]["status"] == "active"
    status, body, _ = api.get("/api/v1/admin/ml/fraud/models?status=retired", token=admin_token)
    assert [v["id"] for v in body["data"]] == [v1.id]
    status, body, _ = api.post("/api/v1/admin/ml/fraud/rollback", token=admin_token)
    assert status == 200 and body["data"]["id"] == v1.id
    assert api.get("/api/v1/admin/ml/fraud/models?status=bogus", token=admin_token)[0] == 422


def test_train_answers_202_with_a_job_on_the_ml_queue_and_validates_settings(api, admin_token):
    for bad in ({"maxIter": 0}, {"learningRate": "0.1"}, {"minAgeDays": 1.5}, {"unknown": 1}):
        assert api.post("/api/v1/admin/ml/fraud/train", bad, token=admin_token)[0] == 422
    status, body, headers = api.post("/api/v1/admin/ml/fraud/train", {"minAgeDays": 0}, token=admin_token,
                                     headers={"Idempotency-Key": "train-1"})
    assert status == 202 and body["data"]["type"] == "fraud_train"
    assert headers["Location"] == f"/api/v1/jobs/{body['data']['id']}"
    again = api.post("/api/v1/admin/ml/fraud/train", {"minAgeDays": 0}, token=admin_token,
                     headers={"Idempotency-Key": "train-1"})
    assert again[1]["data"]["id"] == body["data"]["id"]
    from models.jobs import Job
    assert Job.get_by_id(body["data"]["id"]).queue == "ml"
    api.wait_job(body["data"]["id"], token=admin_token)


@pytest.mark.parametrize("remote, forwarded, expected", [
    ("8.8.4.4", "1.2.3.4", "8.8.4.4"),          # a public peer's X-Forwarded-For is ignored
    ("127.0.0.1", "1.2.3.4, 81.2.69.160", "81.2.69.160"),  # behind our proxy: its (rightmost) entry
    ("10.0.0.5", "not-an-ip", "10.0.0.5"),
    ("10.0.0.5", None, "10.0.0.5"),
    ("::1", "2001:db8::1", "2001:db8::1"),
])
def test_client_ip_policy(app, remote, forwarded, expected):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    with app.test_request_context("/", headers=headers, environ_base={"REMOTE_ADDR": remote}):
        assert client_ip() == expected
