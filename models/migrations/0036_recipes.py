"""Recipes (issue 11, seed 003's Recipe model): the `recipe` and `recipe_ingredient` tables. The demo
recipes of `make run` are written by services.demo, not here."""

from models.recipes import Recipe, RecipeIngredient


def migrate(database, migrator):
    database.create_tables([Recipe, RecipeIngredient], safe=True)
