"""Recipes through services.content: cleaning on write, the write rules, scaling and the list's
filters, and the demo recipes of `make run`."""

from __future__ import annotations

from fractions import Fraction

import pytest

from models.catalog import Category, Product, Variant
from models.recipes import Recipe, RecipeIngredient
from services import catalog, content, demo
from services.errors import Conflict, NotFound, ValidationFailed
from tests.factories import first_variant, make_product, make_recipe, make_weight_product


def category(slug, parent=None):
    return catalog.create_category({"name": slug.title(), "slug": slug, "parent_id": parent.id if parent else None})


# --------------------------------------------------------------------------- cleaning and rules

def test_description_and_steps_keep_only_safe_html_and_titles_none(db):
    recipe = make_recipe(
        title="<b>Fondue</b> & co", description='<p onclick="x()">Melt <script>alert(1)</script><em>it</em></p>',
        instructions=['<a href="javascript:alert(1)">Stir</a> well', "<strong>Serve</strong>"],
        tags=["<i>swiss</i>", "swiss"],
        ingredients=[{"name": "<img src=x onerror=alert(1)>Gruyère", "quantity": 1, "unit": "piece",
                      "note": "<u>grated</u>"}])
    assert recipe.title == "Fondue &amp; co"
    assert recipe.description == "<p>Melt <em>it</em></p>"
    assert recipe.instructions == ["<a rel=\"nofollow noopener\">Stir</a> well", "<strong>Serve</strong>"]
    assert recipe.tags == ["swiss"]  # cleaned, then duplicates dropped
    row = RecipeIngredient.get(RecipeIngredient.recipe == recipe.id)
    assert (row.name, row.note) == ("Gruyère", "grated")


def test_a_step_or_title_with_nothing_left_once_cleaned_is_refused_and_nothing_written(db):
    with pytest.raises(ValidationFailed) as caught:
        make_recipe(instructions=["Fine", "<script>alert(1)</script>"])
    assert caught.value.details[0]["field"] == "instructions.1"
    with pytest.raises(ValidationFailed):
        make_recipe(title="<p></p>")
    assert Recipe.select().count() == 0 and RecipeIngredient.select().count() == 0


def test_slugs_come_from_titles_and_stay_when_the_title_changes(db):
    first, second = make_recipe(title="Crème Brûlée"), make_recipe(title="Crème brûlée")
    assert (first.slug, second.slug) == ("creme-brulee", "creme-brulee-2")
    changed = content.update_recipe(first.slug, {"title": "Burnt cream"})
    assert changed.slug == "creme-brulee" and content.get_recipe("creme-brulee").title == "Burnt cream"
    with pytest.raises(Conflict) as caught:
        content.update_recipe(first.id, {"slug": "creme-brulee-2"})
    assert caught.value.reason == "recipe_slug_taken"
    with pytest.raises(Conflict):
        make_recipe(slug="creme-brulee")


def test_total_time_is_prep_plus_cook(db):
    recipe = make_recipe(prep_time=15, cook_time=30)
    assert recipe.total_minutes == 45
    assert content.update_recipe(recipe.id, {"cook_time": 5}).total_minutes == 20


def test_linked_ingredients_must_name_a_live_variant_bought_in_a_fitting_unit(db):
    cheese = make_weight_product()
    wedge = make_product("Brie", variants=[{"name": "300 g", "price": 900, "stock": 5}])
    Variant.update(weight_grams=300).where(Variant.product == wedge.id).execute()
    jar = make_product("Honey")
    other = make_product("Other")

    def attempt(**ingredient):
        make_recipe(ingredients=[{"quantity": 100, "unit": "g", **ingredient}])

    for spec, reason in [({"product_id": "prod_missing"}, "unknown_ingredient_product"),
                         ({"product_id": cheese.id, "variant_id": first_variant(other).id},
                          "unknown_ingredient_variant"),
                         ({"product_id": cheese.id, "unit": "piece"}, "ingredient_unit_mismatch"),
                         ({"product_id": jar.id}, "ingredient_unit_mismatch"),  # a jar of unknown weight
                         ({"product_id": jar.id, "unit": "tbsp"}, "ingredient_unit_mismatch")]:
        with pytest.raises(ValidationFailed) as caught:
            attempt(**spec)
        assert caught.value.reason == reason, spec
    Product.update(status="archived").where(Product.id == other.id).execute()
    with pytest.raises(ValidationFailed) as caught:
        attempt(product_id=other.id, unit="piece")
    assert caught.value.reason == "unknown_ingredient_product"
    assert Recipe.select().count() == 0
    attempt(product_id=cheese.id, unit="kg")
    attempt(product_id=wedge.id)
    attempt(product_id=jar.id, unit="piece")
    assert Recipe.select().count() == 3


def test_a_category_must_exist(db):
    with pytest.raises(ValidationFailed) as caught:
        make_recipe(category_id="cat_nope")
    assert caught.value.reason == "invalid_recipe_category"


def test_quantities_keep_three_decimals_rounded_half_up(db):
    recipe = make_recipe(ingredients=[{"name": "Salt", "quantity": 1.2345, "unit": "tsp"},
                                      {"name": "Pepper", "quantity": 0.0005, "unit": "tsp"}])
    assert [i["quantity"] for i in content.recipe_view(recipe)["ingredients"]] == [1.235, 0.001]


def test_update_replaces_the_ingredients_and_delete_removes_them(db):
    recipe = make_recipe(ingredients=[{"name": "A", "quantity": 1, "unit": "piece"},
                                      {"name": "B", "quantity": 2, "unit": "piece"}])
    content.update_recipe(recipe.id, {"ingredients": [{"name": "C", "quantity": 3, "unit": "cup"}]})
    assert [i["name"] for i in content.recipe_view(recipe)["ingredients"]] == ["C"]
    content.delete_recipe(recipe.slug)
    assert RecipeIngredient.select().count() == 0
    with pytest.raises(NotFound):
        content.get_recipe(recipe.id)


# --------------------------------------------------------------------------- scaling

def test_scaled_ingredients_are_exact_fractions_of_the_servings(db):
    recipe = make_recipe(servings=3, ingredients=[{"name": "Flour", "quantity": 0.5, "unit": "kg"},
                                                  {"name": "Eggs", "quantity": 2, "unit": "piece"}])
    flour, eggs = content.scaled_ingredients(recipe, 4)
    assert flour.quantity == Fraction(2, 3) and flour.grams == Fraction(2000, 3)
    assert eggs.quantity == Fraction(8, 3) and eggs.grams is None
    assert [i.quantity for i in content.scaled_ingredients(recipe)] == [Fraction(1, 2), 2]
    view = content.recipe_view(recipe, servings=4)
    assert [i["quantity"] for i in view["ingredients"]] == [0.667, 2.667]
    assert (view["servings"], view["baseServings"]) == (4, 3)
    for servings in (0, content.MAX_SERVINGS + 1):
        with pytest.raises(ValidationFailed):
            content.scaled_ingredients(recipe, servings)


# --------------------------------------------------------------------------- reads and filters

def test_the_list_filters_by_category_subtree_difficulty_time_product_and_text(db):
    cheese = category("cheeses")
    soft = category("soft", cheese)
    brie = make_product("Brie")
    quick = make_recipe(title="Quick brie toast", difficulty="easy", prep_time=5, cook_time=5, category_id=soft.id,
                        ingredients=[{"product_id": brie.id, "quantity": 1, "unit": "piece"}], tags=["toast"])
    slow = make_recipe(title="Slow fondue", difficulty="hard", prep_time=30, cook_time=90, category_id=cheese.id,
                       description="<p>A long Sunday melt</p>")
    make_recipe(title="Draft", is_published=False)

    def titles(**filters):
        recipes, total = content.list_recipes(**filters)
        assert total == len(recipes)
        return [r.title for r in recipes]

    assert titles() == ["Slow fondue", "Quick brie toast"]  # newest first; drafts hidden
    assert titles(include_unpublished=True)[0] == "Draft"
    assert titles(category="cheeses") == ["Slow fondue", "Quick brie toast"]
    assert titles(category=soft.id) == ["Quick brie toast"]
    assert titles(category="no-such-category") == []
    assert titles(difficulty="hard") == ["Slow fondue"]
    assert titles(max_time=10) == ["Quick brie toast"] and titles(max_time=9) == []
    assert titles(product=brie.id) == titles(product=brie.handle) == ["Quick brie toast"]
    assert titles(product="prod_unknown") == []  # not the free-text ingredients
    assert titles(search="SUNDAY") == ["Slow fondue"] and titles(search="toast") == ["Quick brie toast"]
    assert titles(search="100%") == []
    assert [r.id for r in content.recipes_using(brie.handle)[0]] == [quick.id]
    assert slow.id not in {r.id for r in content.recipes_using(brie.id)[0]}


def test_the_view_shows_each_linked_products_current_name_price_and_availability(db):
    cheese = make_weight_product(name="Comte", price_per_kg=3490, grams=80)  # below its 100 g minimum
    bread = make_product("Bread", price=350, stock=4)
    recipe = make_recipe(ingredients=[{"product_id": cheese.id, "quantity": 200, "unit": "g"},
                                      {"product_id": bread.id, "name": "Sourdough", "quantity": 2, "unit": "piece"},
                                      {"name": "Butter", "quantity": 1, "unit": "tbsp"}])
    Product.update(name="Comté AOP").where(Product.id == cheese.id).execute()
    comte, sourdough, butter = content.recipe_view(content.get_recipe(recipe.slug))["ingredients"]
    assert comte["name"] == "Comté AOP" and comte["product"]["soldBy"] == "weight"
    assert (comte["product"]["price"], comte["product"]["available"], comte["product"]["inventoryCount"]) == \
        (3490, False, 80)
    assert sourdough["name"] == "Sourdough" and sourdough["product"]["name"] == "Bread"
    assert (sourdough["product"]["price"], sourdough["product"]["available"]) == (350, True)
    assert butter["product"] is None and butter["productId"] is None


def test_unpublished_recipes_are_found_only_for_staff(db):
    draft = make_recipe(is_published=False)
    with pytest.raises(NotFound):
        content.get_recipe(draft.id)
    assert content.get_recipe(draft.slug, include_unpublished=True).id == draft.id


def test_the_demo_seeds_published_cheese_recipes_linked_to_its_products(db):
    demo.seed_demo_if_empty()
    recipes, total = content.list_recipes(limit=100)
    assert total >= 4
    views = content.recipe_views(recipes)
    linked = [i for v in views for i in v["ingredients"] if i["product"]]
    assert {i["product"]["handle"] for i in linked} >= {"comte-aop-18-months", "camembert-de-normandie"}
    assert all(v["isPublished"] and v["category"] for v in views)
    assert Category.get_by_id(views[0]["categoryId"])
