"""A recipe into a cart (seed 003: "add the recipe's cheeses to my cart"): each linked ingredient,
scaled to the servings asked for, becomes a cart line.

Scaling and rounding: scale = servings / recipe.servings (services.content.scaled_ingredients,
exact fractions), then each linked ingredient is rounded UP to what its variant (the one linked,
else the product's first live variant) is sold in:
- a variant sold by weight (services.catalog.weights): one piece of
  `max(min_weight, ceil(grams x scale / step) x step)` grams, where grams is the ingredient in g
  or kg (e.g. 350 g for 4 servings scaled to 6 is 525 g: with a 50 g step and a 100 g minimum,
  one 550 g piece);
- a variant sold by the unit: `ceil(quantity x scale)` pieces for an ingredient counted in
  pieces, or `ceil(grams x scale / weight_grams)` pieces for one in g or kg when the variant has
  a weight per piece (500 g of a 300 g wedge: 2 wedges).

Each line is checked against the stock the cart may still buy (available units, plus the cart's
own reservations, minus what its lines of the variant already hold) and added on its own, all or
nothing, through services.orders.carts.add_to_cart (which merges it with a line of the same
variant and weight, and re-checks the stock under the cart's lock). Partial success is the point:
every ingredient gets an outcome, `added` (pieces and grams per piece) or `skipped` with a reason:
`free_text` (no linked product), `not_purchasable` (product no longer active, variant gone, unit
the variant cannot be bought in, a piece heavier than MAX_PIECE_GRAMS, over the per-line maximum,
customizations the product requires), `out_of_stock` (less than one piece, or the minimum weight,
left), `insufficient_stock` (some left, less than needed: `available` says how much, in pieces,
or grams for a weight variant).
"""

from __future__ import annotations

import math
from fractions import Fraction

from models.catalog import Product, Variant
from models.carts import Cart
from models.recipes import Recipe
from services import catalog, content
from services.errors import InsufficientStock, ValidationFailed
from services.orders.carts import add_to_cart, cart_view, ensure_writable, other_lines_quantity

SKIP_REASONS = ("free_text", "not_purchasable", "out_of_stock", "insufficient_stock")


class Skip(Exception):
    """An ingredient that is not added: `reason` (SKIP_REASONS), `message`, `available` (units or None)."""

    def __init__(self, reason: str, message: str, available: int | None = None):
        super().__init__(message)
        self.reason, self.message, self.available = reason, message, available


def _sold_variant(ingredient: content.ScaledIngredient) -> Variant:
    """The live variant of the active product the ingredient links to. Raises Skip."""
    query = (Variant.select(Variant, Product).join(Product)
             .where(Product.id == ingredient.product_id, Product.status == "active", Variant.archived_at.is_null()))
    variant = (query.where(Variant.id == ingredient.variant_id) if ingredient.variant_id
               else query.order_by(Variant.position)).first()
    if variant is None:
        raise Skip("not_purchasable", "The product or variant is no longer sold")
    return variant


def line_for(ingredient: content.ScaledIngredient, variant: Variant) -> tuple[int, int | None]:
    """`(pieces, grams per piece or None)` to buy of `variant` for the scaled `ingredient`,
    rounded up as the module docstring says. Raises Skip (`not_purchasable`)."""
    if not content.buyable_in(ingredient.unit, variant.sold_by, variant.weight_grams):
        raise Skip("not_purchasable", f"An ingredient in {ingredient.unit} cannot be bought as this variant is sold")
    if variant.sold_by == "weight":
        step, minimum = variant.weight_step_grams, variant.min_weight_grams
        grams = max(minimum, math.ceil(ingredient.grams / step) * step)
        if grams > catalog.MAX_PIECE_GRAMS:
            raise Skip("not_purchasable", f"{grams} g is more than one piece may weigh ({catalog.MAX_PIECE_GRAMS} g)")
        return 1, grams
    if ingredient.unit == "piece":
        return math.ceil(ingredient.quantity), None
    return math.ceil(ingredient.grams / Fraction(variant.weight_grams)), None


def _available(cart: Cart, variant: Variant) -> int:
    """Units (grams for a weight variant) of `variant` the cart may still add."""
    available = catalog.stock_levels([variant.id], cart_id=cart.id)[variant.id]
    return available - other_lines_quantity(cart, variant.id, None)


def _stock_skip(cart: Cart, variant: Variant, needed: int) -> Skip | None:
    """The `out_of_stock` / `insufficient_stock` Skip when fewer than `needed` units are left, else None."""
    available = max(0, _available(cart, variant))
    if available >= needed:
        return None
    unit = " g" if variant.sold_by == "weight" else ""
    if available < (variant.min_weight_grams or 1):
        return Skip("out_of_stock", "Out of stock", available)
    return Skip("insufficient_stock", f"Only {available}{unit} available, {needed}{unit} needed", available)


def _add_line(cart: Cart, ingredient: content.ScaledIngredient) -> tuple[int, int | None, Variant]:
    """Add one ingredient's line; returns `(pieces, grams, variant)`. Raises Skip."""
    if not ingredient.product_id:
        raise Skip("free_text", "Not linked to a product")
    variant = _sold_variant(ingredient)
    pieces, grams = line_for(ingredient, variant)
    needed = catalog.stock_units(pieces, grams)
    skip = _stock_skip(cart, variant, needed)
    if skip is not None:
        raise skip
    try:
        add_to_cart(cart, ingredient.product_id, variant.id, pieces, None, grams)
    except InsufficientStock:  # sold meanwhile
        raise _stock_skip(cart, variant, needed) or Skip("out_of_stock", "Out of stock", 0) from None
    except ValidationFailed as exc:  # over the per-line maximum, required customizations...
        raise Skip("not_purchasable", exc.message) from None
    return pieces, grams, variant


def add_recipe_to_cart(cart: Cart, recipe: Recipe, servings: int | None = None) -> dict:
    """Add `recipe`'s linked ingredients, scaled to `servings` (None: the recipe's own), to `cart`
    (module docstring). Returns `{"recipeId", "servings", "baseServings", "added", "skipped",
    "lines": [{"position", "name", "productId", "variantId", "status": "added" | "skipped",
    "quantity" (pieces), "grams" (per piece, weight lines), "reason", "available", "message"}],
    "cart": cart_view}` (`reason`, `available`, `message` null for added lines; `quantity` and
    `grams` null for skipped ones). Raises ValidationFailed (422, servings outside
    1..content.MAX_SERVINGS) and Conflict (409 `cart_not_active`, `cart_expired`) before writing
    anything; a line is written whole or not at all."""
    ingredients = content.scaled_ingredients(recipe, servings)
    ensure_writable(cart)
    names = dict(Product.select(Product.id, Product.name).where(
        Product.id.in_([i.product_id for i in ingredients if i.product_id])).tuples())
    lines = []
    for ingredient in ingredients:
        name = ingredient.name or names.get(ingredient.product_id, "")
        line = {"position": ingredient.position, "name": name, "productId": ingredient.product_id,
                "variantId": ingredient.variant_id, "status": "added", "quantity": None, "grams": None,
                "reason": None, "available": None, "message": None}
        try:
            line["quantity"], line["grams"], variant = _add_line(cart, ingredient)
            line["variantId"] = variant.id
        except Skip as skip:
            line.update(status="skipped", reason=skip.reason, available=skip.available, message=skip.message)
        lines.append(line)
    added = sum(line["status"] == "added" for line in lines)
    return {"recipeId": recipe.id, "servings": servings or recipe.servings, "baseServings": recipe.servings,
            "added": added, "skipped": len(lines) - added, "lines": lines, "cart": cart_view(cart)}
