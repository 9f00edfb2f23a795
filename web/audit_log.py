"""`GET /admin/audit-log`: the append-only record of staff, courier, admin and API-key writes
(services.platform.audit), newest first, filtered by actor, action, target and time."""

from __future__ import annotations

import marshmallow as ma
from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services.platform import audit
from web.schemas import CamelSchema, PaginationArgsSchema, PaginationSchema, UtcDateTime, pagination
from web.security import BEARER_SECURITY, checked, require_admin

blp = Blueprint("audit_log", __name__, url_prefix="/api/v1/admin/audit-log", description="Audit log (admin)")


class ActorSchema(CamelSchema):
    id = ma.fields.String(allow_none=True)
    role = ma.fields.String(allow_none=True)
    api_key_id = ma.fields.String(allow_none=True)


class TargetSchema(CamelSchema):
    type = ma.fields.String(allow_none=True)
    id = ma.fields.String(allow_none=True)


class AuditEntrySchema(CamelSchema):
    id = ma.fields.String()
    actor = ma.fields.Nested(ActorSchema)
    action = ma.fields.String(metadata={"description": "METHOD /url/rule"})
    target = ma.fields.Nested(TargetSchema)
    status = ma.fields.Integer()
    before = ma.fields.Raw(allow_none=True, metadata={"description": "the target before the write (secrets masked)"})
    after = ma.fields.Raw(allow_none=True, metadata={"description": "the write's answer (secrets masked)"})
    request_id = ma.fields.String(allow_none=True)
    ip = ma.fields.String(allow_none=True)
    created_at = ma.fields.String()


class AuditListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(AuditEntrySchema))
    pagination = ma.fields.Nested(PaginationSchema)


class AuditArgs(PaginationArgsSchema):
    actor_id = ma.fields.String(validate=validate.Length(max=40))
    action = ma.fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "substring"})
    target_type = ma.fields.String(validate=validate.Length(max=40))
    target_id = ma.fields.String(validate=validate.Length(max=100))
    since = UtcDateTime(metadata={"description": "ISO 8601; UTC unless an offset is given; inclusive"})
    until = UtcDateTime(metadata={"description": "ISO 8601; UTC unless an offset is given; exclusive"})


@blp.route("")
class AuditLog(MethodView):
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_admin)
    @blp.arguments(AuditArgs, location="query")
    @blp.response(200, AuditListSchema)
    def get(self, args):
        """The audit log, newest first (admin)."""
        rows, total = audit.list_entries(args.get("actor_id"), args.get("action"), args.get("target_type"),
                                         args.get("target_id"), args.get("since"), args.get("until"),
                                         args["page"], args["limit"])
        return jsonify({"data": [audit.entry_view(e) for e in rows],
                        "pagination": pagination(args["page"], args["limit"], total)})
