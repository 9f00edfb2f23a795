"""Selling by weight (seed 003's cheese counter): a variant's `sold_by`, its weight step and
minimum, and the weight a cart line or reservation chooses.

- A variant is sold by the unit (`sold_by` "unit", the default: `price` per piece, stock in
  pieces) or by weight ("weight": `price` per kilogram in minor units, stock counted in grams).
- A weight variant has `weight_step_grams` (one of `WEIGHT_STEPS`, so the OpenAPI document can
  say which minimums fit it) and `min_weight_grams` (> 0, a multiple of the step); a unit variant
  has neither (None). Turning a variant to unit clears them.
- A piece of a weight variant weighs a multiple of the step, at least the minimum and at most
  `MAX_PIECE_GRAMS`; a line of `quantity` pieces of `weight` grams holds, reserves and takes
  `quantity x weight` grams of stock (`stock_units`).
"""

from __future__ import annotations

from models.catalog import SOLD_BY, Variant
from services.errors import ValidationFailed

WEIGHT_STEPS = (1, 5, 10, 20, 25, 50, 100, 125, 250, 500, 1000)  # grams
MAX_PIECE_GRAMS = 100_000  # one piece (a whole wheel) weighs at most 100 kg


def _about(field: str, message: str) -> list[dict]:
    return [{"field": field, "message": message}]


def apply_selling(variant: Variant, spec: dict, field: str) -> bool:
    """Set `variant`'s `sold_by`, `weight_step_grams` and `min_weight_grams` from `spec` (keys
    optional: absent ones keep the variant's values) and check the result; `field` prefixes the
    error details (`variants.0`). Returns whether `sold_by` changed (stock units then change
    meaning: the caller drops cart lines of the variant). Raises ValidationFailed (422
    `invalid_sold_by`, `weight_fields_for_unit_variant`, `invalid_weight_step`)."""
    before = variant.sold_by or "unit"
    sold_by = spec.get("sold_by") or before
    if sold_by not in SOLD_BY:
        message = f"soldBy must be one of {', '.join(SOLD_BY)}"
        raise ValidationFailed(message, reason="invalid_sold_by", details=_about(f"{field}.soldBy", message))
    step = spec.get("weight_step_grams", variant.weight_step_grams if before == "weight" else None)
    minimum = spec.get("min_weight_grams", variant.min_weight_grams if before == "weight" else None)
    if sold_by == "unit":
        if spec.get("weight_step_grams") is not None or spec.get("min_weight_grams") is not None:
            message = "weightStepGrams and minWeightGrams are only for variants sold by weight"
            raise ValidationFailed(message, reason="weight_fields_for_unit_variant",
                                   details=_about(f"{field}.soldBy", message))
        step = minimum = None
    elif step not in WEIGHT_STEPS:
        message = f"weightStepGrams must be one of {', '.join(map(str, WEIGHT_STEPS))}"
        raise ValidationFailed(message, reason="invalid_weight_step",
                               details=_about(f"{field}.weightStepGrams", message))
    elif not isinstance(minimum, int) or not 0 < minimum <= MAX_PIECE_GRAMS or minimum % step:
        message = f"minWeightGrams must be a positive multiple of {step} (at most {MAX_PIECE_GRAMS})"
        raise ValidationFailed(message, reason="invalid_weight_step",
                               details=_about(f"{field}.minWeightGrams", message))
    variant.sold_by, variant.weight_step_grams, variant.min_weight_grams = sold_by, step, minimum
    return sold_by != before


def line_weight(variant: Variant, weight: int | None, field: str = "weight") -> int:
    """Grams per piece of a cart line or reservation of `variant`: 0 for a unit variant (which
    refuses a `weight`), else `weight` (default: the variant's minimum) when it is a multiple of
    the step from the minimum up to MAX_PIECE_GRAMS. Raises ValidationFailed (422
    `weight_not_applicable`, `weight_below_minimum`, `weight_not_a_step_multiple`,
    `weight_too_large`)."""
    if (variant.sold_by or "unit") != "weight":
        if weight is not None:
            message = "This variant is sold by the unit: leave out weight"
            raise ValidationFailed(message, reason="weight_not_applicable", details=_about(field, message))
        return 0
    if weight is None:
        return variant.min_weight_grams
    if weight < variant.min_weight_grams:
        message = f"At least {variant.min_weight_grams} g"
        raise ValidationFailed(message, reason="weight_below_minimum", details=_about(field, message))
    if weight > MAX_PIECE_GRAMS:
        message = f"At most {MAX_PIECE_GRAMS} g per piece"
        raise ValidationFailed(message, reason="weight_too_large", details=_about(field, message))
    if weight % variant.weight_step_grams:
        message = f"Must be a multiple of {variant.weight_step_grams} g"
        raise ValidationFailed(message, reason="weight_not_a_step_multiple", details=_about(field, message))
    return weight


def stock_units(quantity: int, weight_grams: int | None) -> int:
    """Stock a line of `quantity` pieces holds: `quantity x weight_grams` grams for a weight line
    (`weight_grams` > 0), else `quantity` units."""
    return quantity * weight_grams if weight_grams else quantity
