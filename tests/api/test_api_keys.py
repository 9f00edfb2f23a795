"""API keys for integrations (issue 8): created, listed, rotated and revoked by admins; the secret
shown once and stored hashed; a key acts with its scopes only, never as a customer; optional
request signing with a 5-minute window and no replay; key writes are audited."""

import hashlib
import hmac
import json
import time

from models.audit import AuditEntry
from models.users import ApiKey
from tests.factories import make_product, make_user, token_for


def create(api, admin, scopes, **extra):
    status, body, _ = api.post("/api/v1/admin/api-keys", {"name": "ERP sync", "scopes": scopes, **extra},
                               token=token_for(admin))
    assert status == 201, body
    return body["data"]


def key_headers(key, secret=None):
    return {"x-api-key": key["id"], "x-app-secret": secret or key["appSecret"]}


def test_the_secret_is_shown_once_and_stored_hashed(api):
    admin = make_user(role="admin")
    key = create(api, admin, ["orders:read"])
    assert key["id"].startswith("ck_") and key["appSecret"].startswith("cs_") and key["secretHint"]
    row = ApiKey.get_by_id(key["id"])
    assert row.secret_hash == hashlib.sha256(key["appSecret"].encode()).hexdigest()
    assert key["appSecret"] not in json.dumps(row.__data__, default=str)
    listed = api.get("/api/v1/admin/api-keys", token=token_for(admin))[1]["data"]
    assert [k["id"] for k in listed] == [key["id"]] and "appSecret" not in listed[0]
    assert api.get("/api/v1/admin/api-keys", token=token_for(make_user(role="staff")))[0] == 403


def test_a_key_acts_with_its_scopes_only(api):
    admin = make_user(role="admin")
    reader = create(api, admin, ["orders:read"])
    status, body, _ = api.get("/api/v1/orders", headers=key_headers(reader))
    assert status == 200, body
    product = make_product(stock=3)
    status, body, _ = api.put(f"/api/v1/products/{product.id}/stock", {"inventoryCount": 9},
                              headers=key_headers(reader))
    assert status == 403 and body["error"]["reason"] == "scope_missing"
    status, body, _ = api.get("/api/v1/wishlist", headers=key_headers(reader))  # a customer's own route
    assert status == 403 and body["error"]["reason"] == "scope_missing"
    assert api.get("/api/v1/products", headers=key_headers(reader))[0] == 200  # public reads stay public

    stock = create(api, admin, ["catalog:stock"])
    status, body, _ = api.put(f"/api/v1/products/{product.id}/stock", {"inventoryCount": 9}, headers=key_headers(stock))
    assert status == 200, body
    entry = AuditEntry.get(AuditEntry.target_id == product.id)
    assert entry.api_key_id == stock["id"] and entry.actor_id == admin.id


def test_wrong_revoked_rotated_and_mixed_credentials_are_refused(api):
    admin = make_user(role="admin")
    key = create(api, admin, ["orders:read"])
    for headers in (key_headers(key, "cs_wrong"), {"x-api-key": key["id"]},
                    {"x-api-key": "ck_unknown", "x-app-secret": "x"}):
        status, body, _ = api.get("/api/v1/orders", headers=headers)
        assert status == 401 and body["error"]["reason"] == "invalid_api_key", headers
    both = {**key_headers(key), "Authorization": f"Bearer {token_for(admin)}"}
    assert api.get("/api/v1/orders", headers=both)[1]["error"]["reason"] == "bad_authorization"

    status, body, _ = api.post(f"/api/v1/admin/api-keys/{key['id']}/rotate", token=token_for(admin))
    assert status == 200 and body["data"]["appSecret"] != key["appSecret"]
    assert api.get("/api/v1/orders", headers=key_headers(key))[0] == 401
    rotated = body["data"]
    assert api.get("/api/v1/orders", headers=key_headers(rotated))[0] == 200
    assert api.delete(f"/api/v1/admin/api-keys/{key['id']}", token=token_for(admin))[0] == 200
    assert api.get("/api/v1/orders", headers=key_headers(rotated))[0] == 401
    assert api.delete(f"/api/v1/admin/api-keys/{key['id']}", token=token_for(admin))[0] == 404


def test_scopes_are_checked_against_the_creator_and_the_owner_at_use(api):
    admin = make_user(role="admin")
    status, body, _ = api.post("/api/v1/admin/api-keys", {"name": "x", "scopes": ["users:admin"]},
                               token=token_for(admin))
    assert status == 422  # never a scope to manage accounts or keys
    assert api.post("/api/v1/admin/api-keys", {"name": "x", "scopes": []}, token=token_for(admin))[0] == 422
    assert api.post("/api/v1/admin/api-keys", {"name": "x", "scopes": ["orders:read"], "requireSignature": 0},
                    token=token_for(admin))[0] == 422
    key = create(api, admin, ["orders:read"])
    other_admin = make_user(role="admin")
    api.put(f"/api/v1/admin/users/{admin.id}/role", {"role": "customer"}, token=token_for(other_admin))
    status, body, _ = api.get("/api/v1/orders", headers=key_headers(key))
    assert status == 403 and body["error"]["reason"] == "insufficient_role"  # its owner lost the permission


def signed(key, method, path, body=b"", timestamp=None):
    timestamp = str(int(timestamp or time.time()))
    message = f"{timestamp}.{method}.{path}.".encode() + body
    signature = hmac.new(key["appSecret"].encode(), message, hashlib.sha256).hexdigest()
    return {**key_headers(key), "x-timestamp": timestamp, "x-signature": signature}


def test_a_signing_key_needs_a_fresh_unreplayed_signature(api):
    admin = make_user(role="admin")
    key = create(api, admin, ["orders:read"], requireSignature=True)
    path = "/api/v1/orders?limit=5"
    assert api.get(path, headers=key_headers(key))[1]["error"]["reason"] == "api_signature_invalid"
    headers = signed(key, "GET", path)
    assert api.get(path, headers=headers)[0] == 200
    status, body, _ = api.get(path, headers=headers)
    assert status == 401 and body["error"]["reason"] == "signature_replayed"
    stale = signed(key, "GET", path, timestamp=time.time() - 301)
    assert api.get(path, headers=stale)[1]["error"]["reason"] == "signature_expired"
    other_path = signed(key, "GET", "/api/v1/orders?limit=6")
    assert api.get(path, headers=other_path)[1]["error"]["reason"] == "api_signature_invalid"
