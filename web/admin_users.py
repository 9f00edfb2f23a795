"""Admins manage accounts: `GET /admin/users` (search by email or name prefix, filter by role
and status), `PUT /admin/users/{id}/role`, `PUT /admin/users/{id}/customer-group` (retail or wholesale
pricing, seed 000), `PUT /admin/users/{id}/status` (disable: every
session signed out at once). Who may call them is the permission matrix's (`users:admin`)."""

from __future__ import annotations

import marshmallow as ma
from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from models.users import CUSTOMER_GROUPS, ROLES
from services import customers
from web.schemas import CamelSchema, PaginationArgsSchema, PaginationSchema, StrictBoolean, ok, pagination
from web.security import BEARER_SECURITY, checked, require_admin

blp = Blueprint("admin_users", __name__, url_prefix="/api/v1/admin/users", description="Accounts (admin)")


class AdminUserSchema(CamelSchema):
    id = ma.fields.String()
    email = ma.fields.String()
    first_name = ma.fields.String()
    last_name = ma.fields.String()
    phone = ma.fields.String(allow_none=True)
    role = ma.fields.String(metadata={"enum": list(ROLES)})
    customer_group = ma.fields.String(metadata={"enum": list(CUSTOMER_GROUPS),
                                                "description": "wholesale: carts priced at wholesale prices"})
    is_active = ma.fields.Boolean()
    is_verified = ma.fields.Boolean()
    last_login = ma.fields.String(allow_none=True)
    created_at = ma.fields.String()


class AdminUserEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(AdminUserSchema)


class AdminUserListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(AdminUserSchema))
    pagination = ma.fields.Nested(PaginationSchema)


class UserListArgs(PaginationArgsSchema):
    q = ma.fields.String(validate=validate.Length(min=1, max=254),
                         metadata={"description": "start of the email, first or last name"})
    role = ma.fields.String(validate=validate.OneOf(ROLES))
    is_active = ma.fields.Boolean()


class RoleSchema(CamelSchema):
    role = ma.fields.String(required=True, validate=validate.OneOf(ROLES))


class CustomerGroupSchema(CamelSchema):
    customer_group = ma.fields.String(required=True, validate=validate.OneOf(CUSTOMER_GROUPS))


class StatusSchema(CamelSchema):
    is_active = StrictBoolean(required=True, metadata={"description": "false disables the account"})


@blp.route("")
class Users(MethodView):
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_admin)
    @blp.arguments(UserListArgs, location="query")
    @blp.response(200, AdminUserListSchema)
    def get(self, args):
        """List accounts, newest first (admin)."""
        rows, total = customers.list_users(args.get("q"), args.get("role"), args.get("is_active"),
                                           args["page"], args["limit"])
        return jsonify({"data": [customers.admin_user_view(u) for u in rows],
                        "pagination": pagination(args["page"], args["limit"], total)})


@blp.route("/<id(usr):user_id>/role")
class UserRole(MethodView):
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_admin)
    @blp.arguments(RoleSchema)
    @blp.response(200, AdminUserEnvelopeSchema)
    def put(self, body, user_id):
        """Give an account a role: customer, courier, staff or admin (admin; not your own)."""
        return ok(customers.admin_user_view(customers.set_role(require_admin(), user_id, body["role"])))


@blp.route("/<id(usr):user_id>/customer-group")
class UserCustomerGroup(MethodView):
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_admin)
    @blp.arguments(CustomerGroupSchema)
    @blp.response(200, AdminUserEnvelopeSchema)
    def put(self, body, user_id):
        """Put an account in a customer group: retail or wholesale prices in its carts (admin; not your own)."""
        return ok(customers.admin_user_view(customers.set_customer_group(require_admin(), user_id,
                                                                         body["customer_group"])))


@blp.route("/<id(usr):user_id>/status")
class UserStatus(MethodView):
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_admin)
    @blp.arguments(StatusSchema)
    @blp.response(200, AdminUserEnvelopeSchema)
    def put(self, body, user_id):
        """Disable (every session signed out at once) or enable an account (admin; not your own)."""
        return ok(customers.admin_user_view(customers.set_active(require_admin(), user_id, body["is_active"])))
