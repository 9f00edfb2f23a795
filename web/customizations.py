"""Schemas of product customizations (services.catalog.customizations), shared by products (the
definitions), carts and orders (a line's chosen set). Not a resource module: no routes.

Marshmallow checks the types and ranges the OpenAPI document declares; the service checks the
rest (a key that does not apply to the type, unique codes and choice values, a chosen set
against the product) and answers 422 with the same `customizations.<i>.<key>` field paths.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from services.catalog import CUSTOMIZATION_LIMITS as rules
from services.catalog import CUSTOMIZATION_TYPES, MAX_PRICE
from web.api import NO_NUL
from web.schemas import CamelSchema, StrictBoolean, StrictInteger, string_problem

PRICE = dict(validate=validate.Range(min=0, max=MAX_PRICE), metadata={"description": "minor units, per unit"})
DAYS = validate.Range(min=0, max=rules.max_days)


class CustomizationChoiceSchema(CamelSchema):
    """One choice of a `choice` customization, with its own price."""

    value = ma.fields.String(required=True, validate=validate.Length(min=1, max=rules.label_max))
    label = ma.fields.String(required=True, validate=validate.Length(min=1, max=rules.label_max))
    price = StrictInteger(load_default=0, **PRICE)


class CustomizationSchema(CamelSchema):
    """A product's customization: an option priced on top of the variant (seed 001). Keys that
    do not apply to `type` are null (`choices`: []) in responses and must be left out (or null)
    in writes."""

    code = ma.fields.String(required=True, validate=[validate.Length(min=1, max=rules.code_max),
                                                     validate.Regexp(rules.code_pattern)],
                            metadata={"description": "unique per product", "pattern": rules.code_pattern})
    label = ma.fields.String(required=True, validate=validate.Length(min=1, max=rules.label_max))
    type = ma.fields.String(required=True, validate=validate.OneOf(CUSTOMIZATION_TYPES))
    required = StrictBoolean(metadata={"description": "default false; a required boolean must be true"})
    price = StrictInteger(allow_none=True, validate=PRICE["validate"],
                          metadata={"description": "minor units added per unit when chosen or filled; "
                                                   "0 for choice (each choice has its price)"})
    max_length = StrictInteger(allow_none=True, validate=validate.Range(min=1, max=rules.max_text_length),
                               metadata={"description": f"text: characters (default {rules.default_text_length})"})
    choices = ma.fields.List(ma.fields.Nested(CustomizationChoiceSchema), allow_none=True,
                             validate=validate.Length(max=rules.max_choices),
                             metadata={"description": f"choice: 1-{rules.max_choices} choices"})
    min_lead_days = StrictInteger(allow_none=True, validate=DAYS,
                                  metadata={"description": "date: the earliest day is today (UTC) + this (default 0)"})
    max_ahead_days = StrictInteger(allow_none=True, validate=DAYS,
                                   metadata={"description": "date: the latest day is today (UTC) + this "
                                                            f"(default {rules.default_ahead_days})"})


CUSTOMIZATIONS = dict(validate=validate.Length(max=rules.max_customizations),
                      metadata={"description": "the complete list of the product's customizations"})


class CustomizationValue(ma.fields.Field):
    """A chosen value: a string (text, choice value, ISO date) or a boolean (boolean options)."""

    def __init__(self, **kwargs):
        metadata = {"oneOf": [{"type": "string", "minLength": 1, "maxLength": rules.max_text_length,
                               "pattern": NO_NUL}, {"type": "boolean"}],
                    "description": "text: the text; choice: a choice's value; date: YYYY-MM-DD; boolean: true/false"}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and 1 <= len(value) <= rules.max_text_length and not string_problem(value):
            return value
        raise ma.ValidationError(f"A string of 1-{rules.max_text_length} characters, or true/false")


class ChosenCustomizationSchema(CamelSchema):
    """A customization chosen for a cart line."""

    code = ma.fields.String(required=True, validate=validate.Length(min=1, max=rules.code_max))
    value = CustomizationValue(required=True)


CHOSEN = dict(load_default=list, validate=validate.Length(max=rules.max_customizations),
              metadata={"description": "the product's customizations chosen for this line (default none); the "
                                       "same variant with other customizations is another line"})


class LineCustomizationSchema(ma.Schema):
    """A customization of a cart or order line, with what it adds to one unit."""

    code = ma.fields.String()
    label = ma.fields.String()
    value = ma.fields.Raw(metadata={"oneOf": [{"type": "string"}, {"type": "boolean"}]})
    price = ma.fields.Integer(metadata={"description": "minor units added per unit"})
