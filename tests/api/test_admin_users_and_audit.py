"""Admins manage accounts (roles, disabling signs out at once), and every staff, courier and
admin write lands in the append-only audit log with who, what, before, after, request id and IP."""

import peewee
import pytest

from models.audit import AuditEntry
from models.db import database
from services.platform import audit
from tests.conftest import TEST_DATABASE_URL
from tests.factories import make_product, make_user, quick_user, token_for

PASSWORD = "correct-horse-9"


def login(api, email):
    return api.post("/api/v1/auth/login", {"email": email, "password": PASSWORD})


def test_admins_list_and_search_accounts_and_nobody_else_does(api):
    admin = make_user(role="admin")
    make_user(email="zoe.baker@example.com")
    make_user(email="zack@example.com", role="staff")
    status, body, _ = api.get("/api/v1/admin/users?q=zo", token=token_for(admin))
    assert status == 200 and [u["email"] for u in body["data"]] == ["zoe.baker@example.com"]
    assert set(body["data"][0]) == {"id", "email", "firstName", "lastName", "phone", "role", "customerGroup",
                                    "isActive", "isVerified", "lastLogin", "createdAt"}
    body = api.get("/api/v1/admin/users?role=staff", token=token_for(admin))[1]
    assert [u["email"] for u in body["data"]] == ["zack@example.com"] and body["pagination"]["total"] == 1
    assert api.get("/api/v1/admin/users?role=king", token=token_for(admin))[0] == 422
    assert api.get("/api/v1/admin/users", token=token_for(quick_user(role="staff")))[0] == 403
    assert api.get("/api/v1/admin/users")[0] == 401


def test_a_new_role_applies_to_the_next_request(api):
    admin, user = make_user(role="admin"), make_user()
    token = login(api, user.email)[1]["data"]["accessToken"]
    assert api.get("/api/v1/notifications/templates", token=token)[0] == 403
    status, body, _ = api.put(f"/api/v1/admin/users/{user.id}/role", {"role": "staff"}, token=token_for(admin))
    assert status == 200 and body["data"]["role"] == "staff"
    assert api.get("/api/v1/notifications/templates", token=token)[0] == 200
    assert api.put(f"/api/v1/admin/users/{user.id}/role", {"role": "owner"}, token=token_for(admin))[0] == 422
    status, body, _ = api.put(f"/api/v1/admin/users/{admin.id}/role", {"role": "customer"}, token=token_for(admin))
    assert status == 409 and body["error"]["reason"] == "own_account"
    assert api.put("/api/v1/admin/users/usr_missing/role", {"role": "staff"}, token=token_for(admin))[0] == 404


def test_disabling_an_account_signs_it_out_at_once_and_enabling_lets_it_back(api):
    admin, user = make_user(role="admin"), make_user()
    session = login(api, user.email)[1]["data"]
    status, body, _ = api.put(f"/api/v1/admin/users/{user.id}/status", {"isActive": False}, token=token_for(admin))
    assert status == 200 and body["data"]["isActive"] is False
    assert api.get("/api/v1/auth/me", token=session["accessToken"])[0] == 401
    assert api.post("/api/v1/auth/refresh", {"refreshToken": session["refreshToken"]})[0] == 401
    assert login(api, user.email)[0] == 401
    assert api.put(f"/api/v1/admin/users/{user.id}/status", {"isActive": True}, token=token_for(admin))[0] == 200
    assert login(api, user.email)[0] == 200
    status, body, _ = api.put(f"/api/v1/admin/users/{admin.id}/status", {"isActive": False}, token=token_for(admin))
    assert status == 409 and body["error"]["reason"] == "own_account"


def test_staff_and_admin_writes_are_audited_with_before_and_after(api):
    admin = make_user(role="admin")
    product = make_product(name="Brie", price=900, stock=5)
    status, _, _ = api.put(f"/api/v1/products/{product.id}", {"name": "Comte"}, token=token_for(admin),
                           headers={"X-Request-ID": "req-audit-1", "X-Forwarded-For": "81.2.69.160"})
    assert status == 200
    entry = AuditEntry.get(AuditEntry.target_id == product.id)
    assert (entry.actor_id, entry.actor_role, entry.status) == (admin.id, "admin", 200)
    assert entry.action == "PUT /api/v1/products/<product:product_id>" and entry.target_type == "product"
    assert entry.before["name"] == "Brie" and entry.after["name"] == "Comte"
    assert entry.request_id == "req-audit-1" and entry.ip == "81.2.69.160"
    raw = database.execute_sql("SELECT before, after FROM audit_entry WHERE id = ?".replace("?", database.param),
                               (entry.id,)).fetchone()
    assert all(value.startswith("v1:") and "Brie" not in value and "Comte" not in value for value in raw)

    user = make_user()
    api.put(f"/api/v1/admin/users/{user.id}/role", {"role": "courier"}, token=token_for(admin))
    role_change = AuditEntry.get(AuditEntry.target_id == user.id)
    assert role_change.before["role"] == "customer" and role_change.after["role"] == "courier"

    status, body, _ = api.get(f"/api/v1/admin/audit-log?targetId={user.id}", token=token_for(admin))
    assert status == 200 and [e["action"] for e in body["data"]] == ["PUT /api/v1/admin/users/<id(usr):user_id>/role"]
    assert body["data"][0]["actor"] == {"id": admin.id, "role": "admin", "apiKeyId": None}
    since = api.get("/api/v1/admin/audit-log?since=2020-01-01T00:00:00Z&until=2999-01-01T00:00:00%2B02:00",
                    token=token_for(admin))[1]
    assert since["pagination"]["total"] == 2
    assert api.get("/api/v1/admin/audit-log?since=2999-01-01T00:00:00", token=token_for(admin))[1]["data"] == []
    body = api.get("/api/v1/admin/audit-log?limit=1", token=token_for(admin))[1]
    assert len(body["data"]) == 1 and body["pagination"]["total"] == 2
    assert body["data"][0]["target"]["id"] == user.id  # newest first
    assert api.get("/api/v1/admin/audit-log", token=token_for(quick_user(role="staff")))[0] == 403


def test_customers_own_writes_and_failed_writes_are_not_audited(api):
    customer, admin = make_user(), make_user(role="admin")
    status, _, _ = api.post("/api/v1/cart", {"currency": "USD"}, token=token_for(customer))
    assert status == 201
    assert api.put("/api/v1/products/prod_missing", {"name": "X"}, token=token_for(admin))[0] == 404
    assert AuditEntry.select().count() == 0


def test_secrets_are_masked_in_audit_values():
    masked = audit.mask({"email": "a@b.c", "password": "hunter2", "nested": [{"apiKey": "k", "postalCode": "11118",
                                                                          "refreshToken": "t", "recoveryCodes": [1]}]})
    assert masked == {"email": "a@b.c", "password": "***", "nested": [{"apiKey": "***", "postalCode": "11118",
                                                                       "refreshToken": "***", "recoveryCodes": "***"}]}


@pytest.mark.skipif(not TEST_DATABASE_URL.startswith("postgres"), reason="the append-only trigger is PostgreSQL's")
def test_the_audit_log_refuses_updates_and_deletes_on_postgresql(db):
    entry = audit.record(action="PUT /x", status=200, actor_id="usr_1", actor_role="admin")
    for statement in ("UPDATE audit_entry SET action = 'rewritten'", "DELETE FROM audit_entry"):
        with pytest.raises(peewee.DatabaseError, match="append-only"):
            with database.atomic():
                database.execute_sql(statement)
    assert AuditEntry.get_by_id(entry.id).action == "PUT /x"
