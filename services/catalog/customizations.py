"""Product customizations (seed 001 "Price calculations with customizations"): options a
customer chooses on top of a variant - a card message, a vase, a size upgrade, a delivery date -
each priced per unit in minor units.

**Definitions.** `Product.customizations` is a list (at most `MAX_CUSTOMIZATIONS`) of::

    {"code": "vase",            # slug ([a-z0-9] words joined by - or _), unique per product
     "label": "Glass vase",     # 1-100 characters
     "type": "choice",          # text | choice | boolean | date
     "required": false,
     "price": 0,                # minor units added per unit when chosen/filled (choice: 0, see choices)
     "maxLength": null,         # text only: 1-2000 characters (default 200)
     "choices": [{"value": "classic", "label": "Classic vase", "price": 1500}],  # choice only: 1-50
     "minLeadDays": null,       # date only: the earliest day is today + minLeadDays (default 0)
     "maxAheadDays": null}      # date only: the latest day is today + maxAheadDays (default 365)

Every key is always present in the stored (and returned) shape; keys that do not apply to a
type are null (`choices`: []). Writes (`normalise_customizations`) take the catalog's snake_case
write shape (`max_length`, `min_lead_days`, `max_ahead_days`) or the camelCase one, and store
the camelCase shape the API returns, as `Product.attributes` does.

**A chosen set** (a cart line's) is `[{"code", "value"}]`: a string for text (trimmed; not
empty, at most `maxLength` characters), choice (one of the choices' values) and date (ISO
`YYYY-MM-DD`, inside the window counted in whole UTC days from today), a boolean for boolean.
A boolean `false` is the same as leaving the option out (it is dropped, so it prices and keys
like no choice); a *required* boolean must be `true` (a consent box). `choose_customizations` returns the
priced set `[{"code", "label", "value", "price"}]` in the product's definition order, `price`
being what the option adds per unit (minor units); `customization_key` is its stable hash, so
two equal sets (whatever their order) are the same cart line.

Errors are ValidationFailed (422) listing every problem as `{"field", "message"}` with paths
in the house style of marshmallow's (`customizations.1.choices`, `customizations.vase`); the
error's `reason` is the first problem's (reasons in services.catalog.reasons).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass

from models.catalog import Product
from models.db import utcnow
from services.catalog.products import MAX_PRICE
from services.errors import ValidationFailed

CUSTOMIZATION_TYPES = TYPES = ("text", "choice", "boolean", "date")
MAX_CUSTOMIZATIONS = 20  # per product
MAX_CHOICES = 50  # per choice customization
MAX_TEXT_LENGTH = 2000  # the largest maxLength a text customization may set (characters)
DEFAULT_TEXT_LENGTH = 200  # a text customization's maxLength when not given (characters)
MAX_DAYS = 730  # the largest minLeadDays / maxAheadDays (days)
DEFAULT_AHEAD_DAYS = 365
CODE_PATTERN = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"
CODE_MAX = 50
LABEL_MAX = 100


@dataclass(frozen=True)
class Limits:
    """The limits above, for the web schemas (which document them)."""

    max_customizations: int = MAX_CUSTOMIZATIONS
    max_choices: int = MAX_CHOICES
    max_text_length: int = MAX_TEXT_LENGTH
    default_text_length: int = DEFAULT_TEXT_LENGTH
    max_days: int = MAX_DAYS
    default_ahead_days: int = DEFAULT_AHEAD_DAYS
    code_pattern: str = CODE_PATTERN
    code_max: int = CODE_MAX
    label_max: int = LABEL_MAX


LIMITS = Limits()
_CODE = re.compile(CODE_PATTERN)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_KEYS = {"code": "code", "label": "label", "type": "type", "required": "required", "price": "price",
         "max_length": "maxLength", "maxLength": "maxLength", "choices": "choices",
         "min_lead_days": "minLeadDays", "minLeadDays": "minLeadDays",
         "max_ahead_days": "maxAheadDays", "maxAheadDays": "maxAheadDays"}


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value.strip()) <= limit


class _Problems:
    """Collects problems (`add(field, message, reason=...)`); `raise_if_any` raises one
    ValidationFailed for all, with the first problem's reason."""

    def __init__(self, message: str):
        self.message = message
        self.found: list[tuple[str, str, str]] = []

    def add(self, field: str, message: str, reason: str) -> None:
        self.found.append((reason, field, message))

    def raise_if_any(self) -> None:
        if self.found:
            raise ValidationFailed(self.message, reason=self.found[0][0],
                                   details=[{"field": f, "message": m} for _, f, m in self.found])


# --------------------------------------------------------------------------- definitions

def _price(raw: dict, path: str, problems: _Problems) -> int:
    price = raw.get("price", 0)
    price = 0 if price is None else price
    if not _is_int(price) or not 0 <= price <= MAX_PRICE:
        problems.add(f"{path}.price", f"A whole number of minor units, 0-{MAX_PRICE}", reason="invalid_customization")
        return 0
    return price


def _days(raw: dict, key: str, default: int, path: str, problems: _Problems) -> int:
    value = raw.get(key)
    if value is None:
        return default
    if not _is_int(value) or not 0 <= value <= MAX_DAYS:
        problems.add(f"{path}.{key}", f"Whole days, 0-{MAX_DAYS}", reason="invalid_customization")
        return default
    return value


def _choices(raw: list, path: str, problems: _Problems) -> list[dict]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_CHOICES:
        problems.add(f"{path}.choices",
                     f"A choice customization offers 1-{MAX_CHOICES} choices", reason="invalid_customization")
        return []
    out, seen = [], set()
    for j, choice in enumerate(raw):
        where = f"{path}.choices.{j}"
        if not isinstance(choice, dict) or set(choice) - {"value", "label", "price"}:
            problems.add(where, "A choice is {value, label, price}", reason="invalid_customization")
            continue
        value, label = choice.get("value"), choice.get("label")
        if not _text(value, LABEL_MAX):
            problems.add(f"{where}.value", f"1-{LABEL_MAX} characters", reason="invalid_customization")
            continue
        if not _text(label, LABEL_MAX):
            problems.add(f"{where}.label", f"1-{LABEL_MAX} characters", reason="invalid_customization")
            continue
        value = value.strip()
        if value in seen:
            problems.add(f"{where}.value", f"{value!r} is offered twice", reason="duplicate_customization_choice")
            continue
        seen.add(value)
        out.append({"value": value, "label": label.strip(), "price": _price(choice, where, problems)})
    return out


def _definition(raw, path: str, problems: _Problems) -> dict | None:
    if not isinstance(raw, dict):
        problems.add(path, "A customization is an object", reason="invalid_customization")
        return None
    unknown = [k for k in raw if k not in _KEYS]
    if unknown:
        problems.add(path, f"Unknown keys: {', '.join(sorted(map(str, unknown)))}", reason="invalid_customization")
        return None
    data = {_KEYS[k]: v for k, v in raw.items()}
    code, label, kind = data.get("code"), data.get("label"), data.get("type")
    if not (isinstance(code, str) and len(code) <= CODE_MAX and _CODE.match(code)):
        problems.add(f"{path}.code",
                     f"A slug of lower-case letters and digits joined by - or _ (at most {CODE_MAX})",
                     reason="invalid_customization")
        return None
    if not _text(label, LABEL_MAX):
        problems.add(f"{path}.label", f"1-{LABEL_MAX} characters", reason="invalid_customization")
        return None
    if kind not in TYPES:
        problems.add(f"{path}.type", f"One of {', '.join(TYPES)}", reason="invalid_customization")
        return None
    required = data.get("required", False)
    if required is None:
        required = False
    if not isinstance(required, bool):
        problems.add(f"{path}.required", "true or false", reason="invalid_customization")
    out = {"code": code, "label": label.strip(), "type": kind, "required": required is True,
           "price": _price(data, path, problems), "maxLength": None, "choices": [],
           "minLeadDays": None, "maxAheadDays": None}
    for key, applies in (("maxLength", "text"), ("minLeadDays", "date"), ("maxAheadDays", "date")):
        if data.get(key) is not None and kind != applies:
            problems.add(f"{path}.{key}", f"Only a {applies} customization has {key}", reason="invalid_customization")
    if data.get("choices") and kind != "choice":
        problems.add(f"{path}.choices", "Only a choice customization has choices", reason="invalid_customization")
    if kind == "text":
        length = data.get("maxLength")
        if length is None:
            length = DEFAULT_TEXT_LENGTH
        elif not _is_int(length) or not 1 <= length <= MAX_TEXT_LENGTH:
            problems.add(f"{path}.maxLength", f"1-{MAX_TEXT_LENGTH} characters", reason="invalid_customization")
        out["maxLength"] = length
    elif kind == "choice":
        if out["price"]:
            problems.add(f"{path}.price",
                         "A choice customization is priced per choice: give each choice its price",
                         reason="invalid_customization")
        out["choices"] = _choices(data.get("choices"), path, problems)
    elif kind == "date":
        out["minLeadDays"] = _days(data, "minLeadDays", 0, path, problems)
        out["maxAheadDays"] = _days(data, "maxAheadDays", DEFAULT_AHEAD_DAYS, path, problems)
        if out["minLeadDays"] > out["maxAheadDays"]:
            problems.add(f"{path}.maxAheadDays", "Must not be below minLeadDays", reason="invalid_customization")
    return out


def normalise_customizations(raw, field: str = "customizations") -> list[dict]:
    """A product's customization definitions checked and in the stored shape (module docstring).

    `raw` is a list of definitions (snake_case or camelCase keys). Raises ValidationFailed
    (422) listing every problem: `invalid_customization` (shape, type-specific keys, ranges),
    `duplicate_customization_code`, `duplicate_customization_choice`.
    """
    problems = _Problems("The product's customizations are invalid")
    if not isinstance(raw, list) or len(raw) > MAX_CUSTOMIZATIONS:
        problems.add(field, f"A list of at most {MAX_CUSTOMIZATIONS} customizations", reason="invalid_customization")
        problems.raise_if_any()
    out, codes = [], set()
    for i, item in enumerate(raw):
        definition = _definition(item, f"{field}.{i}", problems)
        if definition is None:
            continue
        if definition["code"] in codes:
            problems.add(f"{field}.{i}.code",
                         f"{definition['code']!r} is used twice", reason="duplicate_customization_code")
            continue
        codes.add(definition["code"])
        out.append(definition)
    problems.raise_if_any()
    return out


# --------------------------------------------------------------------------- chosen sets

def _chosen_value(definition: dict, value, where: str, today: dt.date, problems: _Problems):
    """The normalised value and its price (minor units), or None when not chosen/invalid."""
    kind = definition["type"]
    if kind == "boolean":
        if not isinstance(value, bool):
            problems.add(where, "true or false", reason="invalid_customization_value")
            return None
        return (True, definition["price"]) if value else None
    if not isinstance(value, str):
        problems.add(where, "A string", reason="invalid_customization_value")
        return None
    if kind == "text":
        text = value.strip()
        if not text:
            problems.add(where, "Must not be empty", reason="customization_empty")
            return None
        if len(text) > definition["maxLength"]:
            problems.add(where, f"At most {definition['maxLength']} characters", reason="customization_too_long")
            return None
        return text, definition["price"]
    if kind == "choice":
        for choice in definition["choices"]:
            if choice["value"] == value:
                return value, choice["price"]
        offered = ", ".join(c["value"] for c in definition["choices"])
        problems.add(where, f"Not offered; one of {offered}", reason="customization_choice_unavailable")
        return None
    if not _ISO_DATE.match(value):
        problems.add(where, "An ISO date, YYYY-MM-DD", reason="invalid_customization_value")
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        problems.add(where, "An ISO date, YYYY-MM-DD", reason="invalid_customization_value")
        return None
    first = today + dt.timedelta(days=definition["minLeadDays"])
    last = today + dt.timedelta(days=definition["maxAheadDays"])
    if not first <= day <= last:
        problems.add(where,
                     f"Between {first.isoformat()} and {last.isoformat()}", reason="customization_date_out_of_window")
        return None
    return value, definition["price"]


def choose_customizations(definitions: list[dict], chosen, today: dt.date | None = None,
           field: str = "customizations") -> list[dict]:
    """Check a chosen set `[{"code", "value"}]` (None: none) against a product's definitions.

    Returns the priced set `[{"code", "label", "value", "price"}]` (price in minor units per
    unit) in definition order; unchosen options and boolean `false` are left out. `today`
    (default: today in UTC) anchors date windows. Raises ValidationFailed (422) listing every
    problem: `unknown_customization`, `duplicate_customization`, `customization_required`,
    `customization_choice_unavailable`, `customization_too_long`, `customization_empty`,
    `customization_date_out_of_window`, `invalid_customization_value` (wrong type, not a date,
    not a `{code, value}` object). Field paths are `customizations.<index>` for the entry
    itself and `customizations.<code>` for its value or a missing required option.
    """
    today = today or utcnow().date()
    problems = _Problems("The customizations are invalid")
    by_code = {d["code"]: d for d in definitions or []}
    values: dict[str, tuple] = {}
    given: set[str] = set()
    failed: set[str] = set()
    for i, entry in enumerate(chosen or []):
        if not isinstance(entry, dict) or set(entry) != {"code", "value"} or not isinstance(entry["code"], str):
            problems.add(f"{field}.{i}", "A customization is {code, value}", reason="invalid_customization_value")
            continue
        code = entry["code"]
        if code in given:
            problems.add(f"{field}.{i}.code", f"{code!r} is given twice", reason="duplicate_customization")
            continue
        given.add(code)
        definition = by_code.get(code)
        if definition is None:
            problems.add(f"{field}.{i}.code", f"This product has no {code!r} option", reason="unknown_customization")
            continue
        before = len(problems.found)
        picked = _chosen_value(definition, entry["value"], f"{field}.{code}", today, problems)
        if picked is not None:
            values[code] = picked
        elif len(problems.found) > before:
            failed.add(code)
    for definition in definitions or []:
        code = definition["code"]
        if not definition["required"] or code in values or code in failed:
            continue
        problems.add(f"{field}.{code}",
                     f"{definition['label']} must be true" if code in given else f"{definition['label']} is required",
                     reason="customization_required")
    problems.raise_if_any()
    return [{"code": d["code"], "label": d["label"], "value": values[d["code"]][0], "price": values[d["code"]][1]}
            for d in definitions or [] if d["code"] in values]


def customization_key(priced: list[dict]) -> str:
    """The stable key of a chosen set: "" for none, else the first 32 hex digits of the SHA-256
    of its sorted `[code, value]` pairs as compact JSON (labels and prices left out, so a
    relabelled or repriced option is still the same line)."""
    if not priced:
        return ""
    pairs = sorted([c["code"], c["value"]] for c in priced)
    return hashlib.sha256(json.dumps(pairs, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()[:32]


def customizations_price(priced: list[dict]) -> int:
    """What a priced set adds to one unit, in minor units."""
    return sum(c["price"] for c in priced)


def customization_types(product_ids) -> dict[str, dict[str, str]]:
    """`{product id: {customization code: type}}` of the products' current definitions (one query)."""
    ids = list(product_ids)
    if not ids:
        return {}
    return {pid: {d.get("code"): d.get("type") for d in (definitions or [])}
            for pid, definitions in Product.select(Product.id, Product.customizations)
            .where(Product.id.in_(ids)).tuples()}
