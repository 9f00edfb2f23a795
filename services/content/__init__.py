"""Content (issue 11; seeds 002 and 003): what the shop publishes around its products. Other
packages import only the names below; `services.orders` may import this package, never the reverse.

Recipes (seed 003): `recipes` (reads, filters, views with each linked product's current price and
availability), `recipe_writes` (staff create, change, delete; HTML cleaned on write),
`recipe_scaling` (scaling to a number of servings, units a product can be bought in). The cart a
recipe fills is services.orders.recipe_cart's.

Homepage (seed 002): `banners` (staff-managed homepage banners and the ones showing now),
`homepage` (the homepage's sections, their order and the shared data behind them).
"""

from services.content.reasons import REASONS

# recipes
from services.content.recipe_scaling import MAX_SERVINGS, ScaledIngredient, buyable_in, scaled_ingredients
from services.content.recipe_writes import create_recipe, delete_recipe, update_recipe
from services.content.recipes import get_recipe, list_recipes, recipe_view, recipe_views, recipes_using

# homepage
from services.content.banners import LINK_TYPES as BANNER_LINK_TYPES
from services.content.banners import (active_banners, banner_view, create_banner, delete_banner, get_banner,
                                      list_banners, update_banner)
from services.content.homepage import MAX_SECTION_ITEMS, top_categories
from services.content.homepage import PERSONAL_SECTIONS as PERSONAL_HOMEPAGE_SECTIONS
from services.content.homepage import SECTIONS as HOMEPAGE_SECTIONS
from services.content.homepage import section_keys as homepage_section_keys

__all__ = [
    "REASONS",
    # recipes
    "MAX_SERVINGS", "ScaledIngredient", "buyable_in", "create_recipe", "delete_recipe", "get_recipe",
    "list_recipes", "recipe_view", "recipe_views", "recipes_using", "scaled_ingredients", "update_recipe",
    # homepage
    "BANNER_LINK_TYPES", "HOMEPAGE_SECTIONS", "MAX_SECTION_ITEMS", "PERSONAL_HOMEPAGE_SECTIONS", "active_banners",
    "banner_view", "create_banner", "delete_banner", "get_banner", "homepage_section_keys", "list_banners",
    "top_categories", "update_banner",
]
