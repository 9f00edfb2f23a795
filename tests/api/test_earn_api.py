"""The earn API: projects, completing one, history and stats, and the staff review, by role."""

import pytest

from services import wallet
from tests.factories import assert_error, quick_user, token_for

PROJECT = {"title": "Review our serum", "description": "Write 5 words or more", "category": "review",
           "type": "text", "requirements": {"minWords": 5},
           "reward": {"amount": 400, "bonusMultiplier": 1.5}, "limits": {"maxCompletions": 1, "totalBudget": 1200}}


@pytest.fixture()
def staff_token(db):
    return token_for(quick_user(role="staff"))


@pytest.fixture()
def customer(db):
    return quick_user()


def create(api, staff_token, **changes):
    status, body, _ = api.post("/api/v1/earn/projects", json={**PROJECT, **changes}, token=staff_token)
    assert status == 201, body
    return body["data"]


def test_staff_create_a_project_customers_complete_and_staff_approve(api, staff_token, customer):
    project = create(api, staff_token)
    assert project["reward"] == {"amount": 400, "currency": "USD", "bonusMultiplier": 1.5, "total": 600}
    token = token_for(customer)
    status, listed, _ = api.get("/api/v1/earn/projects", token=token)
    assert status == 200 and [p["id"] for p in listed["data"]] == [project["id"]]
    assert listed["data"][0]["budget"] is None  # staff only
    status, body, _ = api.post(f"/api/v1/earn/projects/{project['id']}/complete", token=token,
                               json={"text": "This serum is really very good", "rating": 5})
    assert status == 201, body
    submission = body["data"]
    assert (submission["status"], submission["reward"], submission["wordCount"]) == ("pending", 600, 6)
    assert api.get("/api/v1/earn/projects", token=token)[1]["data"] == []  # limit reached
    status, body, _ = api.post(f"/api/v1/earn/submissions/{submission['id']}/approve", token=staff_token,
                               headers={"Prefer": "wait=10"})
    assert status in (200, 202) and body["data"]["type"] == "earn_reward"
    assert api.wait_job(body["data"]["id"], token=staff_token)["state"] == "succeeded"
    status, history, _ = api.get("/api/v1/earn/history", token=token)
    assert history["data"][0]["status"] == "approved" and history["data"][0]["paidAt"]
    status, stats, _ = api.get("/api/v1/earn/stats", token=token)
    assert (stats["data"]["totalEarned"], stats["data"]["approved"]) == (600, 1)
    status, balance, _ = api.get("/api/v1/wallet/balance", token=token)
    assert balance["data"]["available"] == 600
    status, body, _ = api.get(f"/api/v1/earn/projects/{project['id']}", token=staff_token)
    assert body["data"]["budget"] == {"spent": 600, "reserved": 0, "left": 600}


def test_requirement_failures_are_422_envelopes(api, staff_token, customer):
    project = create(api, staff_token)
    token = token_for(customer)
    path = f"/api/v1/earn/projects/{project['id']}/complete"
    assert_error(*api.post(path, json={"text": "too short"}, token=token)[:2], 422, "submission_too_short")
    assert_error(*api.post(path, json={"text": "a b c d e", "videoUrl": "https://x.test/v.mp4"}, token=token)[:2],
                 422, "submission_field_not_applicable")
    assert_error(*api.post(path, json={"text": 5}, token=token)[:2], 422)
    assert_error(*api.post(path, json={"rating": 6, "text": "a b c d e"}, token=token)[:2], 422)
    assert_error(*api.post(path, json={"imageUrl": "ftp://x.test/a"}, token=token)[:2], 422)
    assert_error(*api.post("/api/v1/earn/projects/prj_missing/complete", json={"text": "x"}, token=token)[:2],
                 404, "project_not_found")
    assert_error(*api.get("/api/v1/earn/projects?lat=91&lng=0", token=token)[:2], 422)
    assert_error(*api.get("/api/v1/earn/projects?lat=31", token=token)[:2], 422)
    assert_error(*api.get("/api/v1/earn/projects?all=true", token=token)[:2], 403)
    assert wallet.list_submissions()[1] == 0


def test_bad_project_bodies_are_refused(api, staff_token):
    assert_error(*api.post("/api/v1/earn/projects", json={**PROJECT, "type": "visit"}, token=staff_token)[:2],
                 422, "project_requirements_invalid")
    assert_error(*api.post("/api/v1/earn/projects", json={**PROJECT, "category": "lottery"}, token=staff_token)[:2],
                 422)
    assert_error(*api.post("/api/v1/earn/projects", json={**PROJECT, "reward": {"amount": 0}}, token=staff_token)[:2],
                 422)
    assert_error(*api.post("/api/v1/earn/projects", json={**PROJECT, "limits": {"expiryDate": "2001-01-01T00:00:00Z"}},
                           token=staff_token)[:2], 422, "project_invalid_dates")


def test_staff_update_and_reject(api, staff_token, customer):
    project = create(api, staff_token)
    status, body, _ = api.put(f"/api/v1/earn/projects/{project['id']}", token=staff_token,
                              json={"status": "paused", "limits": {"maxCompletions": 3}})
    assert status == 200 and (body["data"]["status"], body["data"]["limits"]["maxCompletions"]) == ("paused", 3)
    token = token_for(customer)
    assert_error(*api.post(f"/api/v1/earn/projects/{project['id']}/complete", json={"text": "a b c d e"},
                           token=token)[:2], 409, "project_not_available")
    api.put(f"/api/v1/earn/projects/{project['id']}", token=staff_token, json={"status": "active"})
    _, body, _ = api.post(f"/api/v1/earn/projects/{project['id']}/complete", json={"text": "a b c d e"}, token=token)
    submission_id = body["data"]["id"]
    status, listed, _ = api.get("/api/v1/earn/submissions?status=pending", token=staff_token)
    assert [s["id"] for s in listed["data"]] == [submission_id]
    status, body, _ = api.post(f"/api/v1/earn/submissions/{submission_id}/reject", token=staff_token,
                               json={"reason": "Copied text"})
    assert status == 200 and (body["data"]["status"], body["data"]["reason"]) == ("rejected", "Copied text")
    assert_error(*api.post(f"/api/v1/earn/submissions/{submission_id}/approve", token=staff_token)[:2], 409,
                 "submission_status_conflict")


def test_roles_and_other_users(api, staff_token, customer, admin_token):
    project = create(api, staff_token)
    token = token_for(customer)
    _, body, _ = api.post(f"/api/v1/earn/projects/{project['id']}/complete", json={"text": "a b c d e"}, token=token)
    submission_id = body["data"]["id"]
    other = token_for(quick_user())
    assert api.get("/api/v1/earn/history", token=other)[1]["data"] == []  # only the caller's own
    assert api.get("/api/v1/earn/stats", token=other)[1]["data"]["submissions"] == 0
    assert_error(*api.post(f"/api/v1/earn/submissions/{submission_id}/approve", token=token)[:2], 403)
    assert_error(*api.get("/api/v1/earn/submissions", token=token)[:2], 403)
    assert_error(*api.post("/api/v1/earn/projects", json=PROJECT, token=token)[:2], 403)
    assert_error(*api.get("/api/v1/earn/projects")[:2], 401)
    assert_error(*api.get("/api/v1/earn/stats")[:2], 401)
    assert api.get("/api/v1/earn/submissions", token=admin_token)[0] == 200
    assert api.get("/api/v1/earn/projects?all=true&status=active", token=admin_token)[1]["pagination"]["total"] == 1
