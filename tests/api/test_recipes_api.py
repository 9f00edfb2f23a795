"""Recipes over HTTP: `/recipes` (public reads, staff writes), `/products/{id}/recipes`, and
`/recipes/{id}/add-to-cart` for guests and customers; the error envelope for bad input with
nothing written."""

from __future__ import annotations

import pytest

from models.carts import CartItem
from models.recipes import Recipe, RecipeIngredient
from tests.factories import assert_error, first_variant, make_product, make_recipe, make_weight_product, quick_user, \
    token_for

RECIPES = "/api/v1/recipes"


@pytest.fixture
def staff(db):
    return token_for(quick_user(role="staff"))


@pytest.fixture
def admin(db):
    return token_for(quick_user(role="admin"))


def body(**fields):
    return {"title": "Raclette night", "servings": 4, "difficulty": "medium", "prepTime": 10, "cookTime": 20,
            "description": "<p>Melt <script>x()</script>it</p>", "instructions": ["Melt.", "<em>Scrape</em>."],
            "ingredients": [{"name": "Potatoes", "quantity": 1, "unit": "kg"}], "tags": ["winter"],
            "images": [{"url": "https://cdn.example.com/raclette.webp", "altText": "Raclette"}],
            "isPublished": True, **fields}


def test_staff_create_change_and_delete_a_recipe_and_everyone_reads_it(api, staff, admin):
    cheese = make_weight_product(name="Raclette", grams=5000)
    status, answer, headers = api.post(RECIPES, body(ingredients=[
        {"productId": cheese.id, "quantity": 800, "unit": "g", "note": "sliced"},
        {"name": "Potatoes", "quantity": 1, "unit": "kg"}]), token=staff)
    assert status == 201, answer
    recipe = answer["data"]
    assert headers["Location"] == f"{RECIPES}/{recipe['id']}"
    assert recipe["slug"] == "raclette-night" and recipe["totalTime"] == 30
    assert recipe["description"] == "<p>Melt it</p>" and recipe["instructions"][1] == "<em>Scrape</em>."
    assert recipe["ingredients"][0]["product"]["name"] == "Raclette" and recipe["author"]["name"]
    assert recipe["images"] == [{"url": "https://cdn.example.com/raclette.webp", "altText": "Raclette"}]

    status, answer, _ = api.get(f"{RECIPES}/raclette-night")  # a guest, by slug
    assert status == 200 and answer["data"]["id"] == recipe["id"]
    status, answer, _ = api.get(f"{RECIPES}/{recipe['id']}?servings=8")
    assert answer["data"]["ingredients"][0]["quantity"] == 1600 and answer["data"]["servings"] == 8

    status, answer, _ = api.put(f"{RECIPES}/{recipe['id']}", {"difficulty": "hard", "isPublished": False},
                                token=admin)
    assert status == 200 and answer["data"]["difficulty"] == "hard", answer
    assert_error(*api.get(f"{RECIPES}/{recipe['id']}")[:2], 404, "recipe_not_found")  # a draft now
    customer = token_for(quick_user())
    assert_error(*api.get(f"{RECIPES}/{recipe['id']}", token=customer)[:2], 404, "recipe_not_found")
    assert api.get(f"{RECIPES}/{recipe['id']}", token=staff)[0] == 200

    status, answer, _ = api.delete(f"{RECIPES}/{recipe['id']}", token=staff)
    assert status == 200, answer
    assert_error(*api.delete(f"{RECIPES}/{recipe['id']}", token=staff)[:2], 404, "recipe_not_found")
    assert RecipeIngredient.select().count() == 0


def test_guests_and_customers_may_not_write(api):
    recipe = make_recipe()
    customer = token_for(quick_user())
    assert_error(*api.post(RECIPES, body())[:2], 401)
    assert_error(*api.post(RECIPES, body(), token=customer)[:2], 403, "insufficient_role")
    assert_error(*api.put(f"{RECIPES}/{recipe.id}", {"title": "Mine"}, token=customer)[:2], 403)
    assert_error(*api.delete(f"{RECIPES}/{recipe.id}")[:2], 401)
    assert Recipe.get_by_id(recipe.id).title == "Cheese toast"


@pytest.mark.parametrize("change, status, reason", [
    ({"title": None}, 422, None),
    ({"servings": 0}, 422, None),
    ({"servings": "4"}, 422, None),
    ({"difficulty": "extreme"}, 422, None),
    ({"ingredients": []}, 422, None),
    ({"ingredients": [{"quantity": 1, "unit": "g"}]}, 422, None),  # neither product nor name
    ({"ingredients": [{"name": "x", "quantity": 0, "unit": "g"}]}, 422, None),
    ({"ingredients": [{"name": "x", "quantity": 1, "unit": "handful"}]}, 422, None),
    ({"ingredients": [{"productId": "prod_nothing", "quantity": 1, "unit": "g"}]}, 422, "unknown_ingredient_product"),
    ({"images": [{"url": "javascript:alert(1)"}]}, 422, None),
    ({"categoryId": "cat_missing"}, 422, "invalid_recipe_category"),
    ({"instructions": ["<script>x()</script>"]}, 422, "validation_failed"),
    ({"slug": "Not A Slug"}, 422, None),
    ({"colour": "red"}, 422, None),
])
def test_bad_input_is_refused_in_the_envelope_and_nothing_is_written(api, staff, change, status, reason):
    payload = {k: v for k, v in body(**change).items() if v is not None}
    code, answer, _ = api.post(RECIPES, payload, token=staff)
    assert_error(code, answer, status, reason)
    assert Recipe.select().count() == 0 and RecipeIngredient.select().count() == 0


def test_a_taken_slug_is_a_conflict(api, staff):
    make_recipe(title="Fondue")
    assert_error(*api.post(RECIPES, body(slug="fondue"), token=staff)[:2], 409, "recipe_slug_taken")
    assert Recipe.select().count() == 1


def test_the_list_filters_and_paginates(api, staff):
    brie = make_product("Brie")
    make_recipe(title="Slow", difficulty="hard", prep_time=60, cook_time=60)
    make_recipe(title="Quick", difficulty="easy", prep_time=5,
                ingredients=[{"product_id": brie.id, "quantity": 1, "unit": "piece"}])
    make_recipe(title="Draft", is_published=False)

    def titles(query="", token=None):
        return [r["title"] for r in api.get(f"{RECIPES}{query}", token=token)[1]["data"]]

    assert titles() == ["Quick", "Slow"]
    assert titles("?maxTime=30") == ["Quick"] and titles("?difficulty=hard") == ["Slow"]
    assert titles(f"?product={brie.handle}") == ["Quick"] and titles("?search=slo") == ["Slow"]
    assert titles(token=staff)[0] == "Draft" and titles("?published=false", token=staff) == ["Draft"]
    status, answer, _ = api.get(f"{RECIPES}?limit=1&page=2")
    assert status == 200 and answer["pagination"] == {"page": 2, "limit": 1, "total": 2, "totalPages": 2,
                                                      "hasNext": False, "hasPrev": True}
    assert_error(*api.get(f"{RECIPES}?published=false", token=token_for(quick_user()))[:2], 403, "insufficient_role")
    assert_error(*api.get(f"{RECIPES}?difficulty=extreme")[:2], 422)
    assert_error(*api.get(f"{RECIPES}?maxTime=-1")[:2], 422)

    status, answer, _ = api.get(f"/api/v1/products/{brie.id}/recipes")
    assert status == 200 and [r["title"] for r in answer["data"]] == ["Quick"]
    assert_error(*api.get("/api/v1/products/no-such-product/recipes")[:2], 404, "product_not_found")


# --------------------------------------------------------------------------- add to cart

def cheese_recipe():
    cheese = make_weight_product(step=50, minimum=100, grams=1000)
    bread = make_product("Bread", stock=1)
    recipe = make_recipe(servings=2, ingredients=[{"product_id": cheese.id, "quantity": 120, "unit": "g"},
                                                  {"product_id": bread.id, "quantity": 1, "unit": "piece"},
                                                  {"name": "Pepper", "quantity": 1, "unit": "pinch"}])
    return recipe, cheese, bread


def test_a_customer_adds_a_recipe_scaled_to_their_own_cart(api):
    recipe, cheese, bread = cheese_recipe()
    token = token_for(quick_user())
    status, answer, _ = api.post(f"{RECIPES}/{recipe.slug}/add-to-cart?servings=5", token=token)
    assert status == 200, answer
    data = answer["data"]
    # 120 g x 5/2 = 300 g; 1 bread x 5/2 = 2.5 -> 3 pieces, only 1 left
    assert [(line["status"], line["grams"], line["reason"]) for line in data["lines"]] == [
        ("added", 300, None), ("skipped", None, "insufficient_stock"), ("skipped", None, "free_text")]
    assert data["lines"][1]["available"] == 1 and (data["added"], data["skipped"]) == (1, 2)
    assert [(i["variantId"], i["weight"]) for i in data["cart"]["items"]] == [(first_variant(cheese).id, 300)]
    status, mine, _ = api.get("/api/v1/cart", token=token)
    assert mine["data"]["id"] == data["cart"]["id"]


def test_a_guest_names_a_cart_and_cannot_use_a_customers(api):
    recipe, _, _ = cheese_recipe()
    cart_id = api.post("/api/v1/cart")[1]["data"]["id"]
    status, answer, _ = api.post(f"{RECIPES}/{recipe.id}/add-to-cart?cartId={cart_id}")
    assert status == 200 and answer["data"]["cart"]["id"] == cart_id and answer["data"]["added"] == 2
    assert_error(*api.post(f"{RECIPES}/{recipe.id}/add-to-cart")[:2], 404, "cart_not_found")

    owner = token_for(quick_user())
    theirs = api.post("/api/v1/cart", token=owner)[1]["data"]["id"]
    before = CartItem.select().count()
    assert_error(*api.post(f"{RECIPES}/{recipe.id}/add-to-cart?cartId={theirs}")[:2], 404, "cart_not_found")
    other = token_for(quick_user())
    assert_error(*api.post(f"{RECIPES}/{recipe.id}/add-to-cart?cartId={theirs}", token=other)[:2], 404,
                 "cart_not_found")
    assert CartItem.select().count() == before


def test_add_to_cart_refuses_bad_servings_unknown_recipes_and_drafts(api, staff):
    recipe, _, _ = cheese_recipe()
    draft = make_recipe(title="Draft", is_published=False)
    token = token_for(quick_user())
    assert_error(*api.post(f"{RECIPES}/{recipe.id}/add-to-cart?servings=0", token=token)[:2], 422)
    assert_error(*api.post(f"{RECIPES}/{recipe.id}/add-to-cart?servings=two", token=token)[:2], 422)
    assert_error(*api.post(f"{RECIPES}/rcp_unknown/add-to-cart", token=token)[:2], 404, "recipe_not_found")
    assert_error(*api.post(f"{RECIPES}/{draft.id}/add-to-cart", token=token)[:2], 404, "recipe_not_found")
    assert CartItem.select().count() == 0
    assert api.post(f"{RECIPES}/{draft.id}/add-to-cart", token=staff)[0] == 200  # staff preview their draft
