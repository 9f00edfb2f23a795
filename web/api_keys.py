"""API keys for integrations (admin): `POST /admin/api-keys` (the secret is in this answer only),
`GET /admin/api-keys`, `POST /admin/api-keys/{id}/rotate` (a new secret, the old one dead at
once), `DELETE /admin/api-keys/{id}` (revoked at once).

A request authenticates with `x-api-key: <id>` and `x-app-secret: <secret>` (plus `x-timestamp`
and `x-signature` for a key created with `requireSignature`) instead of a bearer token, and acts
as the key's owner limited to the key's scopes (web.permissions; rate-limited per key).
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import customers
from services.customers import API_KEY_SCOPES
from web.schemas import CamelSchema, MessageSchema, StrictBoolean, ok
from web.security import BEARER_SECURITY, checked, require_admin

blp = Blueprint("api_keys", __name__, url_prefix="/api/v1/admin/api-keys", description="API keys (admin)")


class ApiKeySchema(CamelSchema):
    id = ma.fields.String(metadata={"description": "the x-api-key value"})
    name = ma.fields.String()
    scopes = ma.fields.List(ma.fields.String(metadata={"enum": list(API_KEY_SCOPES)}))
    require_signature = ma.fields.Boolean()
    secret_hint = ma.fields.String(metadata={"description": "the secret's last 4 characters"})
    created_at = ma.fields.String()
    rotated_at = ma.fields.String(allow_none=True)
    last_used_at = ma.fields.String(allow_none=True)
    revoked_at = ma.fields.String(allow_none=True)
    app_secret = ma.fields.String(metadata={"description": "the x-app-secret: shown once, after creation or rotation"})


class ApiKeyEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(ApiKeySchema)


class ApiKeyListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(ApiKeySchema))


class ApiKeyCreateSchema(CamelSchema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    scopes = ma.fields.List(ma.fields.String(validate=validate.OneOf(API_KEY_SCOPES)), required=True,
                            validate=validate.Length(min=1, max=len(API_KEY_SCOPES)))
    require_signature = StrictBoolean(load_default=False)


@blp.route("")
class ApiKeys(MethodView):
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_admin)
    @blp.arguments(ApiKeyCreateSchema)
    @blp.response(201, ApiKeyEnvelopeSchema)
    def post(self, body):
        """Create a key with scopes (admin); the answer holds its secret, which is never shown again."""
        key, secret = customers.create_key(require_admin(), body["name"], body["scopes"], body["require_signature"])
        return ok(customers.key_view(key, secret), 201)

    @blp.response(200, ApiKeyListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self):
        """Every key, newest first, without secrets (admin)."""
        require_admin()
        return ok([customers.key_view(k) for k in customers.list_keys()])


@blp.route("/<id(ck):key_id>/rotate")
class ApiKeyRotation(MethodView):
    @blp.response(200, ApiKeyEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, key_id):
        """Give the key a new secret (shown once); the old secret stops working at once (admin)."""
        require_admin()
        key, secret = customers.rotate_key(key_id)
        return ok(customers.key_view(key, secret))


@blp.route("/<id(ck):key_id>")
class ApiKeyById(MethodView):
    @blp.response(200, MessageSchema)
    @blp.doc(security=BEARER_SECURITY)
    def delete(self, key_id):
        """Revoke the key at once (admin)."""
        require_admin()
        customers.revoke_key(key_id)
        return {"message": "API key revoked"}
