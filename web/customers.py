"""Customers (seed 004 "Customer Management"): staff create, list and search customers; a
customer reads their own record (profile, addresses, order history), staff anyone's. Another
customer's id answers 404."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from models.profiles import GENDERS, SKIN_TYPES
from services import customers
from web.addresses import AddressBookEntrySchema
from web.profile import LANGUAGE, SLUG
from web.schemas import CamelSchema, PaginationArgsSchema, PaginationSchema, ok, pagination
from web.security import BEARER_SECURITY, checked, require_staff, require_user

blp = Blueprint("customers", __name__, url_prefix="/api/v1/customers", description="Customers (seed 004)")


class CustomerCreateSchema(CamelSchema):
    """A new customer account with its profile; it has no password until the customer resets it."""

    email = ma.fields.Email(required=True, validate=validate.Length(max=254))
    first_name = ma.fields.String(validate=validate.Length(max=100))
    last_name = ma.fields.String(validate=validate.Length(max=100))
    phone = ma.fields.String(allow_none=True, validate=validate.Length(min=1, max=32),
                             metadata={"description": "with its country code; stored in E.164"})
    date_of_birth = ma.fields.Date(allow_none=True, metadata={"description": "ISO date; age 13 or more"})
    gender = ma.fields.String(allow_none=True, validate=validate.OneOf(GENDERS))
    language = ma.fields.String(allow_none=True, **LANGUAGE)
    skin_type = ma.fields.String(allow_none=True, validate=validate.OneOf(SKIN_TYPES))
    skin_concerns = ma.fields.List(ma.fields.String(validate=SLUG), allow_none=True, validate=validate.Length(max=20))


class CustomerQueryArgsSchema(PaginationArgsSchema):
    q = ma.fields.String(validate=validate.Length(min=1, max=100),
                         metadata={"description": "email, first name or last name prefix (case-insensitive)"})


class SkinProfileSchema(CamelSchema):
    skin_type = ma.fields.String(allow_none=True, validate=validate.OneOf(SKIN_TYPES))
    skin_concerns = ma.fields.List(ma.fields.String())


class CustomerSchema(CamelSchema):
    id = ma.fields.String()
    email = ma.fields.String()
    first_name = ma.fields.String()
    last_name = ma.fields.String()
    phone = ma.fields.String(allow_none=True, metadata={"description": "E.164"})
    date_of_birth = ma.fields.Date(allow_none=True)
    gender = ma.fields.String(allow_none=True, validate=validate.OneOf(GENDERS))
    language = ma.fields.String(allow_none=True)
    skin_profile = ma.fields.Nested(SkinProfileSchema)
    avatar_url = ma.fields.String(allow_none=True)
    email_verified = ma.fields.Boolean()
    is_active = ma.fields.Boolean()
    created_at = ma.fields.String()
    updated_at = ma.fields.String()


class CustomerOrderSummarySchema(CamelSchema):
    id = ma.fields.String()
    order_number = ma.fields.String()
    status = ma.fields.String()
    payment_status = ma.fields.String()
    total = ma.fields.Integer(metadata={"description": "minor units of currency"})
    currency = ma.fields.String()
    created_at = ma.fields.String()


class CustomerCountsSchema(CamelSchema):
    orders = ma.fields.Integer()
    addresses = ma.fields.Integer()


class CustomerDetailSchema(CustomerSchema):
    addresses = ma.fields.List(ma.fields.Nested(AddressBookEntrySchema))
    orders = ma.fields.List(ma.fields.Nested(CustomerOrderSummarySchema),
                            metadata={"description": "the last 20 orders, newest first"})
    counts = ma.fields.Nested(CustomerCountsSchema)


class CustomerEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(CustomerSchema)
    message = ma.fields.String()


class CustomerDetailEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(CustomerDetailSchema)


class CustomerListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(CustomerSchema))
    pagination = ma.fields.Nested(PaginationSchema)


@blp.route("")
class Customers(MethodView):
    @blp.response(200, CustomerListSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_staff)
    @blp.arguments(CustomerQueryArgsSchema, location="query")
    def get(self, args):
        """List and search customers, newest first (staff)."""
        found, total = customers.list_customers(args.get("q"), args["page"], args["limit"])
        return ok(found, pagination=pagination(args["page"], args["limit"], total))

    @blp.response(201, CustomerEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_staff)
    @blp.arguments(CustomerCreateSchema)
    def post(self, body):
        """Create a customer with their profile (staff)."""
        return ok(customers.create_customer(require_staff(), body), 201, message="Customer created")


@blp.route("/<id(usr):customer_id>")
class CustomerById(MethodView):
    @blp.response(200, CustomerDetailEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, customer_id):
        """Get a customer with profile, addresses and order history (the customer themself, or staff)."""
        return ok(customers.get_customer(require_user(), customer_id))
