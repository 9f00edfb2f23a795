"""Recipes (seed 003's Recipe model, migration 0036): a recipe and its ordered ingredients, some
linked to the products (and variants) that the shop sells.

Rules, scaling and the cart they fill: services.content (recipes, recipe_writes, recipe_scaling)
and services.orders.recipe_cart.
"""

import peewee

from models.catalog import Category, Product, Variant
from models.db import BaseModel, JSONField, PrefixedIdField, utcnow
from models.users import User

DIFFICULTIES = ("easy", "medium", "hard")
# an ingredient's unit; grams per mass unit (the only units a product can be weighed in)
MASS_UNITS = {"g": 1, "kg": 1000}
UNITS = ("g", "kg", "ml", "l", "piece", "tbsp", "tsp", "cup", "pinch")
QUANTITY_SCALE = 1000  # quantities are stored in thousandths (1.5 tbsp -> 1500): exact on both engines


class Recipe(BaseModel):
    """A recipe. `description` and each of `instructions` (ordered steps, a JSON list of str) are
    HTML sanitised on write (services.platform.html); `images` is `[{"url", "alt_text"}]` (http(s)
    URLs, as product images); `tags` a JSON list of str; `prep_minutes`, `cook_minutes` and
    `total_minutes` (their sum, stored for the `maxTime` filter) are minutes; `servings` (>= 1) is
    how many people the quantities feed. Unpublished recipes are seen by staff only."""

    id = PrefixedIdField("rcp")
    title = peewee.CharField(max_length=200)
    slug = peewee.CharField(max_length=200, unique=True)
    description = peewee.TextField(default="")
    difficulty = peewee.CharField(max_length=10, default="easy", index=True)  # DIFFICULTIES
    prep_minutes = peewee.IntegerField(default=0)
    cook_minutes = peewee.IntegerField(default=0)
    total_minutes = peewee.IntegerField(default=0, index=True)
    servings = peewee.IntegerField(constraints=[peewee.Check("servings >= 1")])
    instructions = JSONField(default=list)
    images = JSONField(default=list)
    tags = JSONField(default=list)
    category = peewee.ForeignKeyField(Category, null=True, backref="recipes", on_delete="SET NULL")
    author = peewee.ForeignKeyField(User, null=True, backref="recipes", on_delete="SET NULL")
    is_published = peewee.BooleanField(default=False, index=True)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    updated_at = peewee.DateTimeField(default=utcnow)


class RecipeIngredient(BaseModel):
    """One ingredient of a recipe, at `position` (0, 1, ...): a linked `product` (and optionally
    one of its `variant`s; none: the product's first variant) or free text (`product` None).
    `name` is the text shown (for a linked product it may be empty: the product's current name);
    `quantity` is thousandths of `unit` (UNITS); `note` e.g. "grated". A product or variant deleted
    later leaves the ingredient as free text (SET NULL)."""

    id = PrefixedIdField("ring")
    recipe = peewee.ForeignKeyField(Recipe, backref="ingredients", on_delete="CASCADE")
    position = peewee.IntegerField()
    product = peewee.ForeignKeyField(Product, null=True, backref="recipe_ingredients", on_delete="SET NULL")
    variant = peewee.ForeignKeyField(Variant, null=True, backref="recipe_ingredients", on_delete="SET NULL")
    name = peewee.CharField(max_length=200, default="")
    quantity = peewee.BigIntegerField(constraints=[peewee.Check("quantity > 0")])
    unit = peewee.CharField(max_length=10)
    note = peewee.CharField(max_length=200, default="")

    class Meta:
        indexes = ((("recipe", "position"), True),)
