"""Typed product attributes (issue 9): which attributes a product of each kind carries, their
types and limits, their validation, and the filterable index rows they produce.

A product's `kind` (models.catalog.PRODUCT_KINDS) decides its attributes:

- every kind (`general`): `isNew` (boolean, seed 003), `specifications` ([{key, value}], seed
  002), `sustainability` (seed 000: `carbonFootprint` {productionValue, shippingEstimate,
  packagingImpact: kg CO2e per unit, decimals; sustainabilityScore: integer 0-100},
  `ecoMetrics` {recyclableComponents, sustainableMaterials: lists of text; carbonOffset: boolean});
- `florist` (seed 001): `occasion` (choice list), `flowerType` (choice), `colors` (choice list);
- `cheese` (seed 003): `weight` (integer grams, the net weight of the piece sold),
  `ingredients` (text list), `nutritionalInfo` {calories: kcal per 100 g; protein, fat,
  carbohydrates: grams per 100 g; decimals}, `milk` (choice), `origin` (text), `agedMonths`
  (integer months);
- `skincare` (seed 004): `ingredients` (text list), `skinTypes` (choice list), `concerns`
  (choice list), `howToUse` (text).

Values are stored normalised in `Product.attributes` (JSON, camelCase names): choices as
lower-case slugs (`"Get Well"` -> `"get-well"`), texts stripped, decimals rounded to 3 places.
Every attribute and sub-field is optional; an attribute the kind does not carry, an unknown
sub-field, a wrong type, a value out of range or a choice outside its vocabulary is a
ValidationFailed (422) whose `details[0].field` is the top-level name (`occasion`) or the dotted
path below it (`attributes.nutritionalInfo.protein`), reasons `unknown_attribute` /
`invalid_attribute`.

Filterable attributes (`filterable=True`, choices and booleans) also become
`ProductAttributeValue` rows, one per value (`index_rows`), rewritten with every product write;
`query` is the name of the list's query parameter that filters on them (`color` filters
`colors`, `skinType` filters `skinTypes`...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from models.catalog import PRODUCT_KINDS, Product, ProductAttributeValue
from services.catalog.slugs import slugify
from services.errors import ValidationFailed

TEXT, TEXT_LIST, CHOICE, CHOICE_LIST = "text", "text_list", "choice", "choice_list"
INTEGER, DECIMAL, BOOLEAN, OBJECT, KEY_VALUE_LIST = "integer", "decimal", "boolean", "object", "key_value_list"
ALL_KINDS = PRODUCT_KINDS
MAX_ITEMS = 50  # elements of a list attribute

OCCASIONS = ("birthday", "anniversary", "wedding", "sympathy", "congratulations", "get-well", "thank-you",
             "romance", "new-baby", "just-because", "valentines", "mothers-day", "housewarming", "graduation",
             "apology", "retirement", "christmas")
FLOWER_TYPES = ("rose", "peony", "sunflower", "lily", "orchid", "lavender", "tulip", "hydrangea", "carnation",
                "chrysanthemum", "gerbera", "iris", "daisy", "ranunculus", "anemone", "freesia", "alstroemeria",
                "eucalyptus", "succulent", "mixed")
COLORS = ("red", "pink", "white", "yellow", "orange", "purple", "blue", "green", "peach", "cream", "burgundy",
          "lilac", "coral", "black", "mixed")
MILKS = ("cow", "goat", "sheep", "buffalo", "mixed")
SKIN_TYPES = ("normal", "dry", "oily", "combination", "sensitive")
SKIN_CONCERNS = ("acne", "dark-spots", "fine-lines", "wrinkles", "dullness", "dehydration", "congestion",
                 "excess-oil", "redness", "sensitivity", "sun-protection", "texture", "firmness", "pores",
                 "uneven-tone")


@dataclass(frozen=True)
class AttributeSpec:
    """One typed attribute (or an object's sub-field).

    `type` is one of TEXT (`max_length` characters), TEXT_LIST / CHOICE_LIST (at most
    `max_items` elements), CHOICE (`choices`, lower-case slugs), INTEGER / DECIMAL
    (`minimum`..`maximum` in `unit`), BOOLEAN, OBJECT (sub-fields `fields`), KEY_VALUE_LIST
    ([{key: <=100 chars, value: <=`max_length` chars}]). `kinds` are the product kinds carrying
    it; `filterable` ones are indexed and filtered on with query parameter `query`.
    """

    name: str
    type: str
    description: str
    kinds: tuple = ALL_KINDS
    choices: tuple = ()
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    max_length: int = 255
    max_items: int = MAX_ITEMS
    fields: tuple = ()
    filterable: bool = False
    query: str = ""


def _decimal(name, description, unit, maximum):
    return AttributeSpec(name, DECIMAL, description, unit=unit, minimum=0, maximum=maximum)


CARBON_FOOTPRINT = (
    _decimal("productionValue", "kg CO2e emitted producing one unit", "kg CO2e", 100_000),
    _decimal("shippingEstimate", "kg CO2e of shipping one unit (estimate)", "kg CO2e", 100_000),
    _decimal("packagingImpact", "kg CO2e of the packaging of one unit", "kg CO2e", 100_000),
    AttributeSpec("sustainabilityScore", INTEGER, "0 (worst) to 100 (best)", minimum=0, maximum=100),
)
ECO_METRICS = (
    AttributeSpec("recyclableComponents", TEXT_LIST, "components that can be recycled", max_length=200),
    AttributeSpec("sustainableMaterials", TEXT_LIST, "sustainable materials used", max_length=200),
    AttributeSpec("carbonOffset", BOOLEAN, "the emissions are offset"),
)
NUTRITION = (
    _decimal("calories", "energy, kcal per 100 g", "kcal/100 g", 900),
    _decimal("protein", "protein, grams per 100 g", "g/100 g", 100),
    _decimal("fat", "fat, grams per 100 g", "g/100 g", 100),
    _decimal("carbohydrates", "carbohydrates, grams per 100 g", "g/100 g", 100),
)

SPECS = (
    AttributeSpec("isNew", BOOLEAN, "a new arrival (seed 003)", filterable=True, query="isNew"),
    AttributeSpec("specifications", KEY_VALUE_LIST, "key/value specifications (seed 002)", max_length=500),
    AttributeSpec("sustainability", OBJECT, "sustainability data (seed 000)", fields=(
        AttributeSpec("carbonFootprint", OBJECT, "carbon footprint per unit", fields=CARBON_FOOTPRINT),
        AttributeSpec("ecoMetrics", OBJECT, "eco metrics", fields=ECO_METRICS),
    )),
    AttributeSpec("occasion", CHOICE_LIST, "occasions the flowers suit", kinds=("florist",), choices=OCCASIONS,
                  filterable=True, query="occasion"),
    AttributeSpec("flowerType", CHOICE, "the main flower", kinds=("florist",), choices=FLOWER_TYPES,
                  filterable=True, query="flowerType"),
    AttributeSpec("colors", CHOICE_LIST, "colours of the flowers", kinds=("florist",), choices=COLORS,
                  filterable=True, query="color"),
    AttributeSpec("weight", INTEGER, "net weight of the piece sold, grams", kinds=("cheese",), unit="g",
                  minimum=1, maximum=100_000),
    AttributeSpec("ingredients", TEXT_LIST, "ingredients, in label order", kinds=("cheese", "skincare"),
                  max_length=200),
    AttributeSpec("nutritionalInfo", OBJECT, "nutrition per 100 g", kinds=("cheese",), fields=NUTRITION),
    AttributeSpec("milk", CHOICE, "the milk the cheese is made of", kinds=("cheese",), choices=MILKS,
                  filterable=True, query="milk"),
    AttributeSpec("origin", TEXT, "region or country of origin", kinds=("cheese",), max_length=200),
    AttributeSpec("agedMonths", INTEGER, "ageing, months", kinds=("cheese",), unit="months", minimum=0,
                  maximum=240),
    AttributeSpec("skinTypes", CHOICE_LIST, "skin types it suits", kinds=("skincare",), choices=SKIN_TYPES,
                  filterable=True, query="skinType"),
    AttributeSpec("concerns", CHOICE_LIST, "skin concerns it addresses", kinds=("skincare",),
                  choices=SKIN_CONCERNS, filterable=True, query="concern"),
    AttributeSpec("howToUse", TEXT, "directions for use", kinds=("skincare",), max_length=5000),
)
BY_NAME = {spec.name: spec for spec in SPECS}
FILTERABLE = tuple(spec for spec in SPECS if spec.filterable and spec.type in (CHOICE, CHOICE_LIST))


def specs_for(kind: str) -> tuple[AttributeSpec, ...]:
    """The attributes a product of `kind` carries, in declaration order."""
    return tuple(spec for spec in SPECS if kind in spec.kinds)


def infer_kind(attributes: dict) -> str:
    """The kind a new product without an explicit `kind` gets: `general` when every given
    attribute is a general one (or unknown: validation then names it), else the one kind that
    carries all of them (`{"occasion": [...]}` -> florist, `{"skinTypes": [...]}` -> skincare);
    `general` again when that is ambiguous (`ingredients` alone: cheese or skincare)."""
    names = [name for name, value in attributes.items() if value is not None and name in BY_NAME]
    if all("general" in BY_NAME[name].kinds for name in names):
        return "general"
    fitting = [kind for kind in PRODUCT_KINDS if all(kind in BY_NAME[name].kinds for name in names)]
    return fitting[0] if len(fitting) == 1 else "general"


def _bad(path: str, message: str) -> ValidationFailed:
    """A wrong type, range or choice at `path`."""
    return ValidationFailed(f"{path}: {message}", reason="invalid_attribute",
                            details=[{"field": path, "message": message}])


def _unknown(path: str, message: str) -> ValidationFailed:
    """An attribute (or sub-field) the kind does not carry, at `path`."""
    return ValidationFailed(f"{path}: {message}", reason="unknown_attribute",
                            details=[{"field": path, "message": message}])


def _number(spec: AttributeSpec, value, path: str):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _bad(path, "Must be a number" if spec.type == DECIMAL else "Must be an integer")
    if spec.type == INTEGER:
        if isinstance(value, float) and not value.is_integer():
            raise _bad(path, "Must be an integer")
        value = int(value)
    else:
        value = round(float(value), 3)
    if (spec.minimum is not None and value < spec.minimum) or (spec.maximum is not None and value > spec.maximum):
        raise _bad(path, f"Must be between {spec.minimum:g} and {spec.maximum:g}{' ' + spec.unit if spec.unit else ''}")
    return value


def _text(value, path: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(path, "Must be a non-empty string")
    if len(value.strip()) > max_length:
        raise _bad(path, f"At most {max_length} characters")
    return value.strip()


def _choice(spec: AttributeSpec, value, path: str) -> str:
    slug = slugify(value) if isinstance(value, str) else ""
    if slug not in spec.choices:
        raise _bad(path, f"Choose from {', '.join(spec.choices)}")
    return slug


def _list(value, path: str, max_items: int) -> list:
    if not isinstance(value, list):
        raise _bad(path, "Must be a list")
    if len(value) > max_items:
        raise _bad(path, f"At most {max_items} items")
    return value


def _value(spec: AttributeSpec, value, path: str):
    """`value` checked and normalised against `spec`; raises ValidationFailed naming `path`."""
    if spec.type == TEXT:
        return _text(value, path, spec.max_length)
    if spec.type == TEXT_LIST:
        return [_text(v, f"{path}.{i}", spec.max_length) for i, v in enumerate(_list(value, path, spec.max_items))]
    if spec.type == CHOICE:
        return _choice(spec, value, path)
    if spec.type == CHOICE_LIST:
        items = [_choice(spec, v, f"{path}.{i}") for i, v in enumerate(_list(value, path, spec.max_items))]
        return list(dict.fromkeys(items))
    if spec.type in (INTEGER, DECIMAL):
        return _number(spec, value, path)
    if spec.type == BOOLEAN:
        if not isinstance(value, bool):
            raise _bad(path, "Must be true or false")
        return value
    if spec.type == KEY_VALUE_LIST:
        pairs = []
        for i, pair in enumerate(_list(value, path, spec.max_items)):
            if not isinstance(pair, dict) or set(pair) - {"key", "value"}:
                raise _bad(f"{path}.{i}", "Must be an object {key, value}")
            pairs.append({"key": _text(pair.get("key"), f"{path}.{i}.key", 100),
                          "value": _text(pair.get("value"), f"{path}.{i}.value", spec.max_length)})
        return pairs
    return _object(spec.fields, value, path)


def _object(fields: tuple, value, path: str) -> dict:
    if not isinstance(value, dict):
        raise _bad(path, "Must be an object")
    known = {f.name: f for f in fields}
    clean = {}
    for key, item in value.items():
        if key not in known:
            raise _unknown(f"{path}.{key}", f"Unknown field; allowed: {', '.join(known)}")
        if item is not None:
            clean[key] = _value(known[key], item, f"{path}.{key}")
    return clean


def validate_attributes(kind: str, attributes: dict, top_level: frozenset = frozenset()) -> dict:
    """`attributes` (camelCase name -> value) checked against `kind`; returns the normalised dict.

    `None` values are dropped (an unset attribute). Error paths are `attributes.<name>...`,
    or just `<name>...` for names in `top_level` (given as top-level request fields).
    Raises ValidationFailed: `invalid_kind` (kind not in PRODUCT_KINDS), `unknown_attribute`
    (an attribute `kind` does not carry, or an unknown sub-field), `invalid_attribute`.
    """
    if kind not in PRODUCT_KINDS:
        raise ValidationFailed(f"Kind must be one of {', '.join(PRODUCT_KINDS)}", reason="invalid_kind",
                               details=[{"field": "kind", "message": "Unknown kind"}])
    if not isinstance(attributes, dict):
        raise _bad("attributes", "Must be an object")
    carried = {spec.name: spec for spec in specs_for(kind)}
    clean = {}
    for name, value in attributes.items():
        path = name if name in top_level else f"attributes.{name}"
        if name not in carried:
            why = f"Not an attribute of a {kind} product" if name in BY_NAME else "Unknown attribute"
            raise _unknown(path, f"{why}; allowed: {', '.join(carried)}")
        if value is not None:
            clean[name] = _value(carried[name], value, path)
    return clean


def index_rows(product_id: str, attributes: dict) -> list[dict]:
    """The ProductAttributeValue rows of normalised `attributes`: one per filterable value
    (`{"product", "name", "value"}`; booleans as "true"/"false")."""
    rows = []
    for spec in SPECS:
        if not spec.filterable or spec.name not in attributes:
            continue
        value = attributes[spec.name]
        values = value if isinstance(value, list) else [value]
        for item in values:
            text = ("true" if item else "false") if isinstance(item, bool) else str(item)
            rows.append({"product": product_id, "name": spec.name, "value": text})
    return rows


def reindex(product: Product) -> None:
    """Rewrite `product`'s ProductAttributeValue rows from its attributes (call inside the
    write's transaction; two queries)."""
    ProductAttributeValue.delete().where(ProductAttributeValue.product == product.id).execute()
    rows = index_rows(product.id, product.attributes or {})
    if rows:
        ProductAttributeValue.insert_many(rows).execute()
