"""Marshmallow fields of the typed product attributes (services.catalog.product_attributes),
generated from their specs so the OpenAPI document says exactly what each attribute is:

- `attribute_fields(request)`: one top-level product field per attribute (`occasion`,
  `nutritionalInfo`, `skinTypes`...), typed, with its limits, choices (enum) and unit; objects are
  named nested schemas (`NutritionalInfo`, `CarbonFootprint`...). In requests a `null` unsets the
  attribute; which attributes a product may carry depends on its `kind` (checked by the service:
  422 `unknown_attribute`).
- `filter_query_fields()`: the list's filter query parameters (`occasion`, `flowerType`,
  `color`, `skinType`, `concern`, `milk`), each a comma-separated list of choices (OR-ed), and
  `filters_from_args(args)`, which turns them into `filter_products` keywords.
"""

from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import validate

from models.catalog import PRODUCT_KINDS
from services.catalog import product_attributes as typed
from web.schemas import CamelSchema, QueryBoolean, StrictBoolean, StrictFloat, StrictInteger

_NESTED: dict[str, type] = {}


def _object_schema(spec: typed.AttributeSpec) -> type:
    """The (shared, named) schema of an object attribute: its sub-fields, all optional."""
    name = spec.name[0].upper() + spec.name[1:]
    if name not in _NESTED:
        fields = {sub.name: _field(sub, nullable=False) for sub in spec.fields}
        _NESTED[name] = CamelSchema.from_dict(fields, name=name)
    return _NESTED[name]


def _description(spec: typed.AttributeSpec) -> str:
    kinds = "every kind" if spec.kinds == typed.ALL_KINDS else ", ".join(spec.kinds)
    return f"{spec.description} ({kinds})"


class KeyValueSchema(CamelSchema):
    """A specification: `key` (<= 100 characters) and `value` (<= 500)."""

    key = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    value = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))


def _field(spec: typed.AttributeSpec, nullable: bool) -> ma.fields.Field:
    meta = {"metadata": {"description": _description(spec) if nullable else spec.description}}
    options = {"allow_none": True} if nullable else {}
    items = validate.Length(max=spec.max_items)
    if spec.type == typed.TEXT:
        return ma.fields.String(validate=validate.Length(min=1, max=spec.max_length), **options, **meta)
    if spec.type == typed.TEXT_LIST:
        return ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=spec.max_length)),
                              validate=items, **options, **meta)
    if spec.type == typed.CHOICE:
        return ma.fields.String(validate=validate.OneOf(spec.choices), **options, **meta)
    if spec.type == typed.CHOICE_LIST:
        return ma.fields.List(ma.fields.String(validate=validate.OneOf(spec.choices)), validate=items,
                              **options, **meta)
    if spec.type in (typed.INTEGER, typed.DECIMAL):
        kind = StrictInteger if spec.type == typed.INTEGER else StrictFloat
        return kind(validate=validate.Range(min=spec.minimum, max=spec.maximum), **options, **meta)
    if spec.type == typed.BOOLEAN:
        return StrictBoolean(**options, **meta)
    if spec.type == typed.KEY_VALUE_LIST:
        return ma.fields.List(ma.fields.Nested(KeyValueSchema), validate=items, **options, **meta)
    return ma.fields.Nested(_object_schema(spec), **options, **meta)


def attribute_fields(request: bool) -> dict[str, ma.fields.Field]:
    """`{camelCase name: field}` for every typed attribute; `request` fields accept `null`."""
    return {spec.name: _field(spec, nullable=request) for spec in typed.SPECS}


def _choices_pattern(choices) -> str:
    one = "(?:" + "|".join(re.escape(c) for c in choices) + ")"
    return f"^{one}(?:,{one})*$"


def _choices_field(choices, description: str) -> ma.fields.String:
    pattern = _choices_pattern(choices)
    return ma.fields.String(validate=[validate.Length(min=1, max=2000),
                                      validate.Regexp(pattern, error=f"Comma-separated, from: {', '.join(choices)}")],
                            metadata={"description": description, "pattern": pattern})


def filter_query_fields() -> dict[str, ma.fields.Field]:
    """The list's `kind`, `isFeatured`, `isNew` and typed attribute filter parameters."""
    fields = {
        "kind": _choices_field(PRODUCT_KINDS, "comma-separated product kinds (any of them)"),
        "is_featured": QueryBoolean(metadata={"description": "featured products only (true) or none of them"}),
        "is_new": QueryBoolean(metadata={"description": "the isNew attribute is true (true) or not (false)"}),
    }
    for spec in typed.FILTERABLE:
        fields[spec.query] = _choices_field(
            spec.choices, f"comma-separated `{spec.name}` values (any of them; several filters must all match)")
    return fields


def filters_from_args(args: dict) -> dict:
    """Pop the filter parameters of `filter_query_fields` out of parsed `args`; returns
    `filter_products` keywords (`kind` list, `is_featured`, `is_new`, `attributes` {name: [values]})."""
    filters = {}
    if "kind" in args:
        filters["kind"] = args.pop("kind").split(",")
    for name in ("is_featured", "is_new"):
        if name in args:
            filters[name] = args.pop(name)
    attributes = {spec.name: args.pop(spec.query).split(",") for spec in typed.FILTERABLE if spec.query in args}
    if attributes:
        filters["attributes"] = attributes
    return filters
