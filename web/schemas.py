"""Schema building blocks shared by every resource: camelCase base schema,
pagination arguments and envelope, the error envelope and job schema."""

from __future__ import annotations

import datetime as dt
import re

import marshmallow as ma
from marshmallow import validate

from web.reasons import all_reasons

MAX_PAGE_SIZE = 100
WAREHOUSE_ID = r"^wh_[0-9A-Za-z]{1,40}$"  # a warehouse id in a request (the default one is wh_default)


def camelcase(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


NUL_MESSAGE = "Must not contain NUL characters"
SURROGATE_MESSAGE = "Must not contain unpaired surrogates"
_SURROGATE = re.compile("[\ud800-\udfff]")


def string_problem(text: str) -> str | None:
    """Why `text` cannot be stored (a NUL character, an unpaired UTF-16 surrogate), or None.
    A surrogate pair in JSON (`"\\ud83d\\ude00"`) is decoded to one character, so any
    surrogate left in a Python string is unpaired; no database can encode it."""
    if "\x00" in text:
        return NUL_MESSAGE
    if _SURROGATE.search(text):
        return SURROGATE_MESSAGE
    return None


def bad_string_paths(value, path: str = "") -> list[tuple[str, str]]:
    """`(path, message)` for every string (or key) inside `value` that cannot be stored (see
    `string_problem`); paths read `a.b.0`, the whole value is `body`."""
    if isinstance(value, str):
        problem = string_problem(value)
        return [(path or "body", problem)] if problem else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            problem = string_problem(str(key))
            found += [(name, problem)] if problem else bad_string_paths(item, name)
        return found
    if isinstance(value, (list, tuple)):
        return [p for i, item in enumerate(value) for p in bad_string_paths(item, f"{path}.{i}" if path else str(i))]
    return []


class CamelSchema(ma.Schema):
    """Base schema: Python snake_case attributes, camelCase JSON; unknown fields are
    rejected, and so is any string containing a NUL character (PostgreSQL cannot store it) or
    an unpaired UTF-16 surrogate (no database can encode it)."""

    class Meta:
        unknown = ma.RAISE

    def on_bind_field(self, field_name, field_obj):
        field_obj.data_key = camelcase(field_obj.data_key or field_name)

    @ma.pre_load
    def reject_unstorable_strings(self, data, **kwargs):
        """NUL characters and unpaired surrogates anywhere in the input are a validation error."""
        bad = bad_string_paths(data) if isinstance(data, (dict, list)) else []
        if bad:
            raise ma.ValidationError({path: [message] for path, message in bad})
        return data


class StrictInteger(ma.fields.Integer):
    """An integer that must be a JSON number without a fraction (no "1", no 1.5, no true).
    `2.0` is the integer 2, as in JSON Schema (an integer is a number whose fraction is zero)."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)


class StrictBoolean(ma.fields.Boolean):
    """A JSON `true` or `false` (no 0 or 1, no strings), as the document's `boolean` says."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is True or value is False:
            return value
        raise self.make_error("invalid", input=value)


class QueryBoolean(ma.fields.Boolean):
    """A query parameter `true` or `false` (how OpenAPI serializes a boolean), nothing else."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value in ("true", "false"):
            return value == "true"
        raise self.make_error("invalid", input=value)


class ShopCurrency(ma.fields.String):
    """An ISO 4217 code that must be the shop's currency (`CURRENCY`, checked by the services;
    documented as such by web.api)."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Length(equal=3), **kwargs)


class StrictFloat(ma.fields.Float):
    """A JSON number (no strings, no booleans)."""

    def _validated(self, value):
        if isinstance(value, (str, bool)):
            raise self.make_error("invalid")
        return super()._validated(value)


class UtcDateTime(ma.fields.AwareDateTime):
    """An ISO 8601 date-time (UTC unless an offset is given), loaded as the naive UTC datetime
    the database stores."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=dt.timezone.utc, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


class PaginationArgsSchema(CamelSchema):
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class PaginationSchema(CamelSchema):
    page = ma.fields.Integer()
    limit = ma.fields.Integer()
    total = ma.fields.Integer()
    total_pages = ma.fields.Integer()
    has_next = ma.fields.Boolean()
    has_prev = ma.fields.Boolean()


def pagination(page: int, limit: int, total: int) -> dict:
    """The seed-004 pagination block for a list response."""
    pages = (total + limit - 1) // limit if total else 0
    return {"page": page, "limit": limit, "total": total, "totalPages": pages,
            "hasNext": page < pages, "hasPrev": page > 1}


class ErrorDetailSchema(ma.Schema):
    field = ma.fields.String()
    message = ma.fields.String()


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "VALIDATION_ERROR, AUTHENTICATION_ERROR, ..."})
    message = ma.fields.String()
    details = ma.fields.List(ma.fields.Nested(ErrorDetailSchema))
    request_id = ma.fields.String(data_key="requestId")
    reason = ma.fields.String(validate=validate.OneOf(list(all_reasons())),
                              metadata={"description": "Stable snake_case reason (see each domain's reasons.py)"})


class ErrorEnvelopeSchema(ma.Schema):
    """`{"error": {"code", "message", "details", "requestId"}}` (seed 004)."""

    error = ma.fields.Nested(ErrorBodySchema)


class MessageSchema(ma.Schema):
    message = ma.fields.String()


class ProgressSchema(ma.Schema):
    completed = ma.fields.Integer()
    total = ma.fields.Integer()
    percentage = ma.fields.Integer()
    message = ma.fields.String(allow_none=True)


class JobSchema(ma.Schema):
    """The job resource of DESIGN.md section 4.1."""

    id = ma.fields.String()
    type = ma.fields.String()
    state = ma.fields.String()
    progress = ma.fields.Nested(ProgressSchema)
    attempts = ma.fields.Integer()
    maxAttempts = ma.fields.Integer()
    result = ma.fields.Raw(allow_none=True)
    error = ma.fields.Raw(allow_none=True)
    links = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    parentId = ma.fields.String(allow_none=True)
    createdAt = ma.fields.String()
    startedAt = ma.fields.String(allow_none=True)
    updatedAt = ma.fields.String()
    finishedAt = ma.fields.String(allow_none=True)


class JobEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(JobSchema)


class JobListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(JobSchema))
    pagination = ma.fields.Nested(PaginationSchema)


def ok(data, status: int = 200, message: str | None = None, **extra):
    """A `{"data": ..., "message": ...}` JSON response (the documented schema is for OpenAPI only)."""
    from flask import jsonify

    body = {"data": data}
    if message:
        body["message"] = message
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    return response


class AddressSchema(CamelSchema):
    """A postal address (seed 004 shape); `country` is ISO 3166-1 alpha-2."""

    first_name = ma.fields.String(validate=validate.Length(max=100))
    last_name = ma.fields.String(validate=validate.Length(max=100))
    email = ma.fields.Email(validate=validate.Length(max=254))
    phone = ma.fields.String(validate=validate.Regexp(r"^\+?[0-9 ()-]{5,20}$"))
    company = ma.fields.String(validate=validate.Length(max=100))
    country = ma.fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$", error="ISO 3166-1 alpha-2"))
    city = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    governorate = ma.fields.String(validate=validate.Length(max=100))
    state = ma.fields.String(validate=validate.Length(max=100))
    postal_code = ma.fields.String(validate=validate.Length(max=20))
    street = ma.fields.String(required=True, validate=validate.Length(min=1, max=255))
    building = ma.fields.String(validate=validate.Length(max=100))
    apartment = ma.fields.String(validate=validate.Length(max=100))
    instructions = ma.fields.String(validate=validate.Length(max=500))

    @ma.post_load
    def to_camel(self, data, **kwargs):
        """Stored and returned as the camelCase object the client sent."""
        return {camelcase(k): v for k, v in data.items()}


class ShippingAddressSchema(AddressSchema):
    """A shipping address; first and last name are required to deliver."""

    first_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    last_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))


class SameOrAddress(ma.fields.Field):
    """Either the string "same" or an address object (documented as `oneOf` the two)."""

    def __init__(self, **kwargs):
        metadata = {"oneOf": [{"type": "string", "enum": ["same"]}, {"$ref": "#/components/schemas/Address"}],
                    "description": 'the billing address, or "same" as the shipping address'}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None or value == "same":
            return "same"
        if isinstance(value, dict):
            return AddressSchema().load(value)
        raise ma.ValidationError('Must be an address object or "same"')


class TotalsSchema(ma.Schema):
    """Money totals shared by carts and orders: integer minor units of `currency`."""

    subtotal = ma.fields.Integer()
    tax = ma.fields.Integer()
    shipping = ma.fields.Integer()
    discount = ma.fields.Integer()
    total = ma.fields.Integer()
    currency = ma.fields.String()
    discountCode = ma.fields.String(allow_none=True)


class WeightLineSchema(ma.Schema):
    """How a cart or order line is sold (seed 003; services.orders.pricing): by the unit, or by
    weight, its `quantity` then being pieces of `weight` grams each at `pricePerKg`."""

    soldBy = ma.fields.String(validate=validate.OneOf(("unit", "weight")))
    weight = ma.fields.Integer(allow_none=True, metadata={"description": "grams per piece; null for unit lines"})
    pricePerKg = ma.fields.Integer(allow_none=True, metadata={
        "description": "minor units per kilogram charged; null for unit lines"})


class PersonSchema(ma.Schema):
    """A person shown beside what they wrote or made: `{id, name}` (the name as the view chose to
    show it, e.g. first name and last initial)."""

    id = ma.fields.String()
    name = ma.fields.String()
