"""My address book (seed 003 addresses, seed 004 customer_addresses): list, create, read,
replace (PUT), change (PATCH), delete, and make one the default of its type. Addresses have the
order address shape (web.schemas.AddressSchema); another customer's address id answers 404."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from models.profiles import ADDRESS_TYPES
from services import customers
from web.schemas import AddressSchema, CamelSchema, MessageSchema, StrictBoolean, ok
from web.security import BEARER_SECURITY, checked, require_user

blp = Blueprint("addresses", __name__, url_prefix="/api/v1/users/addresses", description="My address book")


class AddressBookEntryCreateSchema(AddressSchema):
    """A saved address: the order address fields (but email and instructions) plus a label, its
    type and whether it is the default of that type. First and last name are required."""

    class Meta(CamelSchema.Meta):
        exclude = ("email", "instructions")

    first_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    last_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    phone = ma.fields.String(validate=validate.Length(min=1, max=32),
                             metadata={"description": "stored in E.164; a national number is read in `country`"})
    label = ma.fields.String(validate=validate.Length(max=50), metadata={"description": "e.g. Home, Work"})
    type = ma.fields.String(load_default="shipping", validate=validate.OneOf(ADDRESS_TYPES))
    is_default = StrictBoolean(metadata={"description": "the first address of a type is its default anyway"})


class AddressBookEntryReplaceSchema(AddressBookEntryCreateSchema):
    """The whole address (PUT): fields not sent are cleared, `type` is shipping unless sent,
    `isDefault` is kept unless sent."""


class AddressBookEntryPatchSchema(AddressBookEntryCreateSchema):
    """A partial change (PATCH): only the fields sent change."""

    class Meta(CamelSchema.Meta):
        exclude = ("email", "instructions")

    first_name = ma.fields.String(validate=validate.Length(min=1, max=100))
    last_name = ma.fields.String(validate=validate.Length(min=1, max=100))
    country = ma.fields.String(validate=validate.Regexp(r"^[A-Z]{2}$", error="ISO 3166-1 alpha-2"))
    city = ma.fields.String(validate=validate.Length(min=1, max=100))
    street = ma.fields.String(validate=validate.Length(min=1, max=255))
    type = ma.fields.String(validate=validate.OneOf(ADDRESS_TYPES))


class AddressBookEntrySchema(CamelSchema):
    id = ma.fields.String()
    label = ma.fields.String(allow_none=True)
    type = ma.fields.String(validate=validate.OneOf(ADDRESS_TYPES))
    is_default = ma.fields.Boolean()
    first_name = ma.fields.String(allow_none=True)
    last_name = ma.fields.String(allow_none=True)
    company = ma.fields.String(allow_none=True)
    street = ma.fields.String(allow_none=True)
    building = ma.fields.String(allow_none=True)
    apartment = ma.fields.String(allow_none=True)
    city = ma.fields.String()
    state = ma.fields.String(allow_none=True)
    governorate = ma.fields.String(allow_none=True)
    postal_code = ma.fields.String(allow_none=True)
    country = ma.fields.String()
    phone = ma.fields.String(allow_none=True, metadata={"description": "E.164"})
    created_at = ma.fields.String()
    updated_at = ma.fields.String()


class AddressBookEntryEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(AddressBookEntrySchema)
    message = ma.fields.String()


class AddressBookSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(AddressBookEntrySchema))


def _view(address) -> dict:
    return customers.address_view(address)


@blp.route("")
class Addresses(MethodView):
    @blp.response(200, AddressBookSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self):
        """List my saved addresses, oldest first."""
        return ok([_view(a) for a in customers.list_addresses(require_user())])

    @blp.response(201, AddressBookEntryEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    @blp.arguments(AddressBookEntryCreateSchema)
    def post(self, body):
        """Save an address (at most 50; the first of its type becomes the default)."""
        return ok(_view(customers.create_address(require_user(), body)), 201, message="Address saved")


@blp.route("/<id(adr):address_id>")
class AddressById(MethodView):
    @blp.response(200, AddressBookEntryEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, address_id):
        """Get one of my addresses."""
        return ok(_view(customers.get_address(require_user(), address_id)))

    @blp.response(200, AddressBookEntryEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    @blp.arguments(AddressBookEntryReplaceSchema)
    def put(self, body, address_id):
        """Replace one of my addresses (fields not sent are cleared)."""
        address = customers.update_address(require_user(), address_id, body, replace=True)
        return ok(_view(address), message="Address updated")

    @blp.response(200, AddressBookEntryEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    @blp.arguments(AddressBookEntryPatchSchema)
    def patch(self, body, address_id):
        """Change some fields of one of my addresses."""
        return ok(_view(customers.update_address(require_user(), address_id, body)), message="Address updated")

    @blp.response(200, MessageSchema)
    @blp.doc(security=BEARER_SECURITY)
    def delete(self, address_id):
        """Delete one of my addresses (if it was the default, my newest other one of its type takes over)."""
        customers.delete_address(require_user(), address_id)
        return {"message": "Address deleted"}


@blp.route("/<id(adr):address_id>/default")
class AddressDefault(MethodView):
    @blp.response(200, AddressBookEntryEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, address_id):
        """Make one of my addresses the default of its type (the previous default is unset)."""
        return ok(_view(customers.set_default_address(require_user(), address_id)), message="Default address set")
