"""Content: recipes, written through services.content as staff would."""

from __future__ import annotations

from services import content


def make_recipe(ingredients=None, author=None, **fields):
    """A published recipe for 4 with one free-text ingredient unless `ingredients` are given
    (the service's write shape: `[{"product_id", "variant_id", "name", "quantity", "unit", "note"}]`)."""
    data = {"title": "Cheese toast", "servings": 4, "instructions": ["Toast.", "Eat."], "is_published": True,
            "ingredients": ingredients or [{"name": "Bread", "quantity": 4, "unit": "piece"}], **fields}
    return content.create_recipe(data, author)
