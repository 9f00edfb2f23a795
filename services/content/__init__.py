"""Content (seeds 002 and 003): what the shop publishes around its products. Other packages import
only the names below; `services.orders` may import this package, never the reverse.

Recipes (seed 003): `recipes` (reads, filters, views with each linked product's current price and
availability), `recipe_writes` (staff create, change, delete; HTML cleaned on write),
`recipe_scaling` (scaling to a number of servings, units a product can be bought in). The cart a
recipe fills is services.orders.recipe_cart's.
"""

from services.content.reasons import REASONS

# recipes
from services.content.recipe_scaling import MAX_SERVINGS, ScaledIngredient, buyable_in, scaled_ingredients
from services.content.recipe_writes import create_recipe, delete_recipe, update_recipe
from services.content.recipes import get_recipe, list_recipes, recipe_view, recipe_views, recipes_using

__all__ = [
    "REASONS",
    # recipes
    "MAX_SERVINGS", "ScaledIngredient", "buyable_in", "create_recipe", "delete_recipe", "get_recipe",
    "list_recipes", "recipe_view", "recipe_views", "recipes_using", "scaled_ingredients", "update_recipe",
]
