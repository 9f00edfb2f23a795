"""Sessions and token checks: `GET /auth/sessions`, `DELETE /auth/sessions/{id}`,
`DELETE /auth/sessions/all` (seed 001) and `POST /auth/verify` (seed 000).

"Revoke all" signs out every other session and keeps the caller's, as "sign out of all other
sessions" does at Google or GitHub; `?includeCurrent=true` ends the caller's too (Saleor's
`tokensDeactivateAll`).
"""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from models.db import isoformat
from services import customers
from web.schemas import CamelSchema, MessageSchema, ok
from web.security import BEARER_SECURITY, checked, current_session_id, require_user

blp = Blueprint("sessions", __name__, url_prefix="/api/v1/auth", description="Sessions and token checks")


class DeviceSchema(CamelSchema):
    device_id = ma.fields.String(allow_none=True)
    platform = ma.fields.String(allow_none=True)
    user_agent = ma.fields.String(allow_none=True)


class SessionSchema(CamelSchema):
    id = ma.fields.String()
    device = ma.fields.Nested(DeviceSchema)
    ip = ma.fields.String(allow_none=True)
    created_at = ma.fields.String()
    last_seen_at = ma.fields.String()
    current = ma.fields.Boolean(metadata={"description": "the session of the token making this request"})


class SessionListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(SessionSchema))


class RevokeAllArgs(CamelSchema):
    include_current = ma.fields.Boolean(load_default=False,
                                        metadata={"description": "also end the caller's own session"})


class RevokedSchema(CamelSchema):
    revoked = ma.fields.Integer(metadata={"description": "sessions ended"})


class RevokedEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(RevokedSchema)
    message = ma.fields.String()


class VerifySchema(CamelSchema):
    token = ma.fields.String(required=True, validate=validate.Length(min=1, max=4096),
                             metadata={"description": "an access token"})


class VerifiedSchema(CamelSchema):
    valid = ma.fields.Boolean()
    user_id = ma.fields.String()
    email = ma.fields.String()
    role = ma.fields.String()
    session_id = ma.fields.String(allow_none=True)
    expires_at = ma.fields.String()


class VerifiedEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(VerifiedSchema)


@blp.route("/sessions")
class Sessions(MethodView):
    @blp.response(200, SessionListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self):
        """The caller's active sessions (sign-ins), most recently seen first."""
        user = require_user()
        current = current_session_id()
        return ok([customers.session_view(s, current) for s in customers.list_sessions(user)])


@blp.route("/sessions/all")
class AllSessions(MethodView):
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    @blp.arguments(RevokeAllArgs, location="query")
    @blp.response(200, RevokedEnvelopeSchema)
    def delete(self, args):
        """Sign out every other session (and, with `includeCurrent=true`, this one too)."""
        user = require_user()
        keep = None if args["include_current"] else current_session_id()
        revoked = customers.revoke_all_sessions(user.id, keep=keep)
        return ok({"revoked": revoked}, message=f"{revoked} session(s) signed out")


@blp.route("/sessions/<string:session_id>")
class SessionById(MethodView):
    @blp.response(200, MessageSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    def delete(self, session_id):
        """Sign out one of the caller's sessions: its refresh token and access tokens stop working at once."""
        customers.revoke_session(require_user(), session_id)
        return {"message": "Session signed out"}


@blp.route("/verify")
class Verify(MethodView):
    @blp.arguments(VerifySchema)
    @blp.response(200, VerifiedEnvelopeSchema)
    def post(self, body):
        """Check an access token (for a gateway or another service): valid, unexpired, its account
        active and its session not signed out. 401 in the envelope otherwise."""
        user, claims = customers.authenticate_access_token(body["token"].strip())
        expires = dt.datetime.fromtimestamp(claims["exp"], dt.timezone.utc).replace(tzinfo=None)
        return ok({"valid": True, "userId": user.id, "email": user.email, "role": user.role,
                   "sessionId": claims.get("sid"),
                   "expiresAt": isoformat(expires)})
