"""Scaling a recipe to a number of servings, and which units a linked product can be bought in.

Scaling (exact, with fractions): an ingredient's scaled quantity is `quantity x servings /
recipe.servings` in its own unit; nothing is rounded here. What a cart buys of it is rounded
UP by services.orders.recipe_cart (to the variant's weight step and minimum for a variant sold
by weight, to whole pieces otherwise); a view shows the scaled quantity rounded half up to
3 decimals.

Units (models.recipes.UNITS): g and kg are masses (`MASS_UNITS`, grams per unit); the others
(ml, l, piece, tbsp, tsp, cup, pinch) are not convertible to grams. A linked ingredient must be
buyable as its variant is sold (`buyable_in`): a variant sold by weight is weighed in g or kg;
a variant sold by the unit is counted in pieces (unit `piece`) or, when the variant has a weight
(`weight_grams`, e.g. a 250 g wedge), in g or kg (pieces = grams / weight per piece, rounded up
by the cart).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from models.recipes import MASS_UNITS, QUANTITY_SCALE, Recipe, RecipeIngredient
from services.errors import ValidationFailed

MAX_SERVINGS = 100  # a recipe feeds at most this many people, and is scaled to at most this many


@dataclass(frozen=True)
class ScaledIngredient:
    """One ingredient scaled to a number of servings: `quantity` (exact Fraction) of `unit`;
    `product_id` / `variant_id` None for free text (variant None: the product's first variant)."""

    position: int
    name: str
    product_id: str | None
    variant_id: str | None
    quantity: Fraction
    unit: str
    note: str

    @property
    def grams(self) -> Fraction | None:
        """The scaled quantity in grams for a mass unit (g, kg), else None."""
        factor = MASS_UNITS.get(self.unit)
        return None if factor is None else self.quantity * factor


def stored_quantity(value: Decimal | float | int) -> int:
    """An API quantity (at least 0.001) as the stored integer thousandths, rounded half up to 3
    decimals (1.2345 -> 1235). Raises ValidationFailed (422 `validation_failed`) for a value that
    rounds to 0 or less."""
    thousandths = int((Decimal(str(value)) * QUANTITY_SCALE).to_integral_value(rounding=ROUND_HALF_UP))
    if thousandths <= 0:
        message = "At least 0.001"
        raise ValidationFailed(message, details=[{"field": "quantity", "message": message}])
    return thousandths


def shown_quantity(value: Fraction) -> float:
    """A quantity for display: rounded half up to 3 decimals (`Fraction(1, 3)` -> 0.333)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def buyable_in(unit: str, sold_by: str, weight_grams: int | None) -> bool:
    """Whether an ingredient in `unit` can be bought as a variant sold `sold_by` ("unit" |
    "weight") with `weight_grams` per piece (None: unknown) is: the module docstring's rule."""
    if sold_by == "weight":
        return unit in MASS_UNITS
    return unit == "piece" or (unit in MASS_UNITS and bool(weight_grams))


def check_servings(servings: int) -> None:
    """Raise ValidationFailed (422) unless 1 <= servings <= MAX_SERVINGS."""
    if not 1 <= servings <= MAX_SERVINGS:
        message = f"Between 1 and {MAX_SERVINGS}"
        raise ValidationFailed(f"servings must be between 1 and {MAX_SERVINGS}",
                               details=[{"field": "servings", "message": message}])


def scale_ingredient(ingredient: RecipeIngredient, scale: Fraction) -> ScaledIngredient:
    """`ingredient` with its quantity multiplied by `scale` (exact)."""
    return ScaledIngredient(ingredient.position, ingredient.name, ingredient.product_id, ingredient.variant_id,
                            Fraction(ingredient.quantity, QUANTITY_SCALE) * scale, ingredient.unit, ingredient.note)


def scaled_ingredients(recipe: Recipe, servings: int | None = None) -> list[ScaledIngredient]:
    """The recipe's ingredients in order, scaled to `servings` (None: the recipe's own): scale =
    servings / recipe.servings, exact. One query. Raises ValidationFailed (422) for servings
    outside 1..MAX_SERVINGS."""
    servings = recipe.servings if servings is None else servings
    check_servings(servings)
    scale = Fraction(servings, recipe.servings)
    rows = RecipeIngredient.select().where(RecipeIngredient.recipe == recipe.id).order_by(RecipeIngredient.position)
    return [scale_ingredient(row, scale) for row in rows]
