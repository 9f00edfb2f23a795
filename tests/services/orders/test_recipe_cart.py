"""A recipe into a cart (services.orders.recipe_cart): scaling rounded up to the weight step and
minimum or to whole pieces, stock checked per line, each line all or nothing."""

from __future__ import annotations

import pytest

from models.carts import Cart, CartItem
from models.catalog import Product, Variant
from services import orders
from services.errors import Conflict, ValidationFailed
from tests.factories import first_variant, make_product, make_recipe, make_weight_product


def cart_lines(cart):
    return sorted((row.variant_id, row.quantity, row.weight_grams) for row in CartItem.select().where(
        CartItem.cart == cart.id))


def outcome(answer, position):
    return answer["lines"][position]


@pytest.mark.parametrize("servings, grams", [(4, 350), (6, 550), (1, 100), (8, 700), (3, 300)])
def test_a_weight_line_is_rounded_up_to_the_step_and_at_least_the_minimum(db, servings, grams):
    # 350 g for 4: x6 = 525 -> 550; x1 = 87.5 -> 100 (the minimum); x3 = 262.5 -> 300
    cheese = make_weight_product(step=50, minimum=100, grams=10_000)
    recipe = make_recipe(servings=4, ingredients=[{"product_id": cheese.id, "quantity": 350, "unit": "g"}])
    cart = orders.create_cart(None)
    answer = orders.add_recipe_to_cart(cart, recipe, servings)
    assert outcome(answer, 0)["status"] == "added"
    assert (outcome(answer, 0)["quantity"], outcome(answer, 0)["grams"]) == (1, grams)
    assert cart_lines(cart) == [(first_variant(cheese).id, 1, grams)]
    assert answer["cart"]["items"][0]["weight"] == grams


def test_a_kilogram_ingredient_is_weighed_in_grams(db):
    cheese = make_weight_product(step=100, minimum=200, grams=10_000)
    recipe = make_recipe(servings=2, ingredients=[{"product_id": cheese.id, "quantity": 0.25, "unit": "kg"}])
    answer = orders.add_recipe_to_cart(orders.create_cart(None), recipe, 3)  # 375 g -> 400 g
    assert outcome(answer, 0)["grams"] == 400


def test_unit_lines_are_whole_pieces_rounded_up(db):
    eggs = make_product("Eggs", stock=50)
    wedge = make_product("Brie", variants=[{"name": "300 g", "price": 900, "stock": 50}])
    Variant.update(weight_grams=300).where(Variant.product == wedge.id).execute()
    recipe = make_recipe(servings=4, ingredients=[{"product_id": eggs.id, "quantity": 1.5, "unit": "piece"},
                                                  {"product_id": wedge.id, "quantity": 500, "unit": "g"}])
    cart = orders.create_cart(None)
    answer = orders.add_recipe_to_cart(cart, recipe, 6)  # 2.25 eggs -> 3; 750 g of 300 g wedges -> 3
    assert [(line["quantity"], line["grams"]) for line in answer["lines"]] == [(3, None), (3, None)]
    answer = orders.add_recipe_to_cart(orders.create_cart(None), recipe)  # 1.5 -> 2; 500 g -> 2 wedges
    assert [line["quantity"] for line in answer["lines"]] == [2, 2]


def test_lines_short_of_stock_are_skipped_whole_and_the_others_added(db):
    cheese = make_weight_product(step=50, minimum=100, grams=300)
    empty = make_product("Butter", stock=0)
    few = make_product("Eggs", stock=2)
    plenty = make_product("Bread", stock=10)
    recipe = make_recipe(servings=2, ingredients=[
        {"product_id": cheese.id, "quantity": 400, "unit": "g"},
        {"product_id": empty.id, "quantity": 1, "unit": "piece"},
        {"product_id": few.id, "quantity": 3, "unit": "piece"},
        {"product_id": plenty.id, "quantity": 2, "unit": "piece"},
        {"name": "Salt", "quantity": 1, "unit": "pinch"}])
    cart = orders.create_cart(None)
    answer = orders.add_recipe_to_cart(cart, recipe)
    assert [(line["status"], line["reason"], line["available"]) for line in answer["lines"]] == [
        ("skipped", "insufficient_stock", 300), ("skipped", "out_of_stock", 0), ("skipped", "insufficient_stock", 2),
        ("added", None, None), ("skipped", "free_text", None)]
    assert answer["lines"][0]["message"] == "Only 300 g available, 400 g needed"
    assert (answer["added"], answer["skipped"]) == (1, 4)
    assert cart_lines(cart) == [(first_variant(plenty).id, 2, 0)]  # nothing of the short lines


def test_what_the_cart_already_holds_counts_against_the_stock(db):
    bread = make_product("Bread", stock=5)
    recipe = make_recipe(servings=1, ingredients=[{"product_id": bread.id, "quantity": 3, "unit": "piece"}])
    cart = orders.create_cart(None)
    assert outcome(orders.add_recipe_to_cart(cart, recipe), 0)["status"] == "added"
    second = outcome(orders.add_recipe_to_cart(cart, recipe), 0)
    assert (second["reason"], second["available"]) == ("insufficient_stock", 2)
    assert cart_lines(cart) == [(first_variant(bread).id, 3, 0)]


def test_a_minimum_weight_not_left_is_out_of_stock(db):
    cheese = make_weight_product(step=50, minimum=100, grams=80)
    recipe = make_recipe(ingredients=[{"product_id": cheese.id, "quantity": 100, "unit": "g"}])
    line = outcome(orders.add_recipe_to_cart(orders.create_cart(None), recipe), 0)
    assert (line["reason"], line["available"]) == ("out_of_stock", 80)


def test_products_no_longer_sold_or_bought_in_another_unit_are_not_purchasable(db):
    gone = make_product("Gone")
    changed = make_product("Changed")
    recipe = make_recipe(ingredients=[{"product_id": gone.id, "quantity": 1, "unit": "piece"},
                                      {"product_id": changed.id, "quantity": 1, "unit": "piece"}])
    Product.update(status="archived").where(Product.id == gone.id).execute()
    Variant.update(sold_by="weight", weight_step_grams=50, min_weight_grams=100).where(
        Variant.product == changed.id).execute()  # now sold by weight: pieces cannot be weighed
    cart = orders.create_cart(None)
    answer = orders.add_recipe_to_cart(cart, recipe)
    assert [line["reason"] for line in answer["lines"]] == ["not_purchasable", "not_purchasable"]
    assert answer["lines"][0]["name"] == "Gone" and cart_lines(cart) == []


def test_a_line_over_the_per_line_maximum_is_not_purchasable(db, settings):
    bread = make_product("Bread", stock=10**6)
    recipe = make_recipe(servings=1, ingredients=[{"product_id": bread.id, "quantity": 10_000, "unit": "piece"}])
    line = outcome(orders.add_recipe_to_cart(orders.create_cart(None), recipe, 100), 0)
    assert line["reason"] == "not_purchasable" and "maximum" in line["message"]


def test_a_closed_cart_or_bad_servings_refuse_before_writing(db):
    bread = make_product("Bread", stock=10)
    recipe = make_recipe(ingredients=[{"product_id": bread.id, "quantity": 1, "unit": "piece"}])
    cart = orders.create_cart(None)
    with pytest.raises(ValidationFailed):
        orders.add_recipe_to_cart(cart, recipe, 0)
    Cart.update(status="converted").where(Cart.id == cart.id).execute()
    with pytest.raises(Conflict) as caught:
        orders.add_recipe_to_cart(Cart.get_by_id(cart.id), recipe)
    assert caught.value.reason == "cart_not_active" and cart_lines(cart) == []
