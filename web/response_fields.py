"""`?fields=`: the caller picks which fields of a response's objects come back (seed 001).

`FieldSelection(schema)` reads the names a response object's schema documents: its top-level
keys (`name`, `price`, `variants`) and, inside nested objects and lists of them, dotted names
(`variants.price`, `images.url`, `variants.options.value`, `reviews.averageRating`), down to
`MAX_DEPTH` levels. Its `query_field()` is the `fields` query parameter for an arguments schema
(documented with the exact pattern it accepts); `parse(raw)` turns `"name,variants.price"`
into a selection; `apply(body, selection)` keeps only those fields:

    fields=name,variants.price  ->  {"id", "name", "variants": [{"id", "price"}, ...]}

- `id` is always kept: at the top, and in every selected nested object that has one;
- a whole field wins over its parts (`variants,variants.price` is `variants`);
- the order of the fields is the response's, not the request's;
- a name the schema does not document, an empty entry (`name,,price`) or spaces are a 422
  (`VALIDATION_ERROR`, reason `unknown_fields`, details `[{"field": "fields", ...}]`), exactly
  what the documented pattern refuses.
"""

from __future__ import annotations

import re

import marshmallow as ma
from marshmallow import validate

from services.errors import ValidationFailed

MAX_DEPTH = 3  # levels of dotted names (variants.options.value)
MAX_LENGTH = 1000  # characters of a `fields` value


def _names(schema: ma.Schema, prefix: str = "", depth: int = 1) -> list[str]:
    """The dump names (data keys) of `schema`, nested ones dotted, depth first in declaration order."""
    names = []
    for attribute, field in schema.dump_fields.items():
        name = prefix + (field.data_key or attribute)
        names.append(name)
        inner = field.inner if isinstance(field, ma.fields.List) else field
        if isinstance(inner, ma.fields.Nested) and depth < MAX_DEPTH:
            names.extend(_names(inner.schema, name + ".", depth + 1))
    return names


class FieldSelection:
    """The `fields` choices of one response object schema."""

    def __init__(self, schema: ma.Schema):
        self.names = tuple(_names(schema))
        self._known = frozenset(self.names)
        name = "(?:" + "|".join(re.escape(n) for n in self.names) + ")"
        self.pattern = f"^{name}(?:,{name})*$"

    def query_field(self) -> ma.fields.String:
        """The `fields` query parameter (load it as `selected_fields`)."""
        return ma.fields.String(
            data_key="fields", validate=validate.Length(min=1, max=MAX_LENGTH),
            metadata={"description": "Comma-separated fields to return (`id` always); dotted names pick "
                                     "inside nested objects, e.g. `name,variants.price`",
                      "pattern": self.pattern})

    def parse(self, raw: str | None) -> dict | None:
        """`"name,variants.price"` -> `{"name": True, "variants": {"price": True}}`; None when
        `raw` is empty (every field). Raises ValidationFailed (422 `unknown_fields`)."""
        if not raw:
            return None
        requested = raw.split(",")
        unknown = [name for name in requested if name not in self._known]
        if unknown:
            raise ValidationFailed(f"Unknown fields: {', '.join(unknown)[:200]}", reason="unknown_fields",
                                   details=[{"field": "fields", "message": f"Choose from {', '.join(self.names)}"}])
        selection: dict = {}
        for name in requested:
            node = selection
            *parents, leaf = name.split(".")
            for parent in parents:
                child = node.setdefault(parent, {})
                if child is True:
                    break  # the whole parent is selected already
                node = child
            else:
                node[leaf] = True
        return selection

    @staticmethod
    def apply(body, selection: dict | bool | None):
        """`body` (an object, or a list of them) with only the `selection`'s fields (and `id`)."""
        if selection is None or selection is True:
            return body
        if isinstance(body, list):
            return [FieldSelection.apply(item, selection) for item in body]
        if not isinstance(body, dict):
            return body  # null where an object may be
        return {key: (value if key == "id" and key not in selection else FieldSelection.apply(value, selection[key]))
                for key, value in body.items() if key == "id" or key in selection}
