"""Recipes (seed 003): the public list and read, staff writes (`content:write`), and a recipe's
products into a cart.

- `GET /api/v1/recipes?page=&limit=&category=&difficulty=&maxTime=&product=&search=&published=`:
  published recipes, newest first (staff see drafts too and may filter on `published`);
- `GET /api/v1/recipes/{recipe_id}?servings=`: one recipe by id (`rcp_...`) or slug, each linked
  ingredient with its product's current name, price and availability; `servings` scales the
  quantities (services.content.recipe_scaling);
- `POST /api/v1/recipes`, `PUT|DELETE /api/v1/recipes/{recipe_id}` (staff): HTML cleaned on write;
- `POST /api/v1/recipes/{recipe_id}/add-to-cart?servings=&cartId=`: the linked products, scaled
  and rounded up (services.orders.recipe_cart), into the cart `cartId` (a guest's, or one the
  caller may see) or the signed-in customer's own cart; per-line outcomes.

A product's recipes: `GET /api/v1/products/{product_id}/recipes` (web.product_recipes).
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from models.recipes import DIFFICULTIES, UNITS
from services import content, orders
from services.errors import NotAllowed
from web.carts import CartSchema, promo_cart
from web.permissions import has_permission
from web.products import HTTP_URL, SLUG
from web.schemas import (CamelSchema, MessageSchema, PaginationArgsSchema, PaginationSchema, PersonSchema, QueryBoolean,
                         StrictBoolean, StrictFloat, StrictInteger, ok, pagination)
from web.security import BEARER_SECURITY, OPTIONAL_BEARER_SECURITY, checked, current_user, require_staff

blp = Blueprint("recipes", __name__, url_prefix="/api/v1/recipes", description="Recipes (seed 003)")

MINUTES = dict(validate=validate.Range(min=0, max=10_080), metadata={"description": "minutes (at most a week)"})
SERVINGS = validate.Range(min=1, max=content.MAX_SERVINGS)


def can_see_drafts() -> bool:
    """Whether the caller may see unpublished recipes (`content:write`)."""
    return has_permission(current_user(), "content:write")


# --------------------------------------------------------------------------- schemas (requests)

class IngredientInputSchema(CamelSchema):
    """An ingredient: a linked product (`productId`, optionally `variantId`; `name` optional, the
    product's name by default) or free text (`name` without `productId`)."""

    JSON_SCHEMA = {"anyOf": [{"required": ["productId"]}, {"required": ["name"]}],
                   "dependentRequired": {"variantId": ["productId"]}}

    product_id = ma.fields.String(validate=validate.Regexp(r"^prod_[0-9A-Za-z]{1,40}$"),
                                  metadata={"description": "a product of the shop (`prod_...`)"})
    variant_id = ma.fields.String(validate=validate.Regexp(r"^var_[0-9A-Za-z]{1,40}$"),
                                  metadata={"description": "one of the product's variants; default its first"})
    name = ma.fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "plain text"})
    quantity = StrictFloat(required=True, validate=validate.Range(min=0.001, max=1_000_000),
                           metadata={"description": "in `unit`; kept to 3 decimals (rounded half up)"})
    unit = ma.fields.String(required=True, validate=validate.OneOf(UNITS), metadata={
        "description": "a linked variant sold by weight needs g or kg; one sold by the unit piece (or g/kg when "
                       "it has weightGrams)"})
    note = ma.fields.String(validate=validate.Length(max=200), metadata={"description": "plain text, e.g. grated"})

    @ma.validates_schema
    def product_or_name(self, data, **kwargs):
        if "product_id" not in data and "name" not in data:
            raise ma.ValidationError("Give productId or a name", "name")
        if "variant_id" in data and "product_id" not in data:
            raise ma.ValidationError("variantId needs productId", "variantId")


class RecipeImageInputSchema(CamelSchema):
    url = ma.fields.String(required=True, validate=[validate.Length(max=1000),
                                                    validate.Regexp(HTTP_URL, error="Not a valid http(s) URL.")],
                           metadata={"pattern": HTTP_URL, "description": "http(s) URL of the image"})
    alt_text = ma.fields.String(validate=validate.Length(max=500))


class RecipeUpdateSchema(CamelSchema):
    """Changes to a recipe: only given fields change; `ingredients`, `instructions`, `images` and
    `tags` replace the old lists."""

    title = ma.fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "plain text"})
    slug = ma.fields.String(validate=[validate.Length(min=1, max=200), SLUG],
                            metadata={"description": "default (on create): made from the title"})
    description = ma.fields.String(validate=validate.Length(max=20_000), metadata={
        "description": "HTML; only p, br, strong, em, ul, ol, li and http(s)/mailto links are kept"})
    difficulty = ma.fields.String(validate=validate.OneOf(DIFFICULTIES))
    prep_time = StrictInteger(**MINUTES)
    cook_time = StrictInteger(**MINUTES)
    servings = StrictInteger(validate=SERVINGS, metadata={"description": "people the quantities feed"})
    ingredients = ma.fields.List(ma.fields.Nested(IngredientInputSchema), validate=validate.Length(min=1, max=100))
    instructions = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=5000)),
                                  validate=validate.Length(min=1, max=100),
                                  metadata={"description": "ordered steps, HTML cleaned as the description"})
    images = ma.fields.List(ma.fields.Nested(RecipeImageInputSchema), validate=validate.Length(max=20))
    category_id = ma.fields.String(allow_none=True, validate=validate.Regexp(r"^cat_[0-9A-Za-z]{1,40}$"),
                                   metadata={"description": "a category of the category tree; null: none"})
    tags = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=50)), validate=validate.Length(max=30))
    is_published = StrictBoolean(metadata={"description": "default false: only staff see it"})


class RecipeCreateSchema(RecipeUpdateSchema):
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=200),
                             metadata={"description": "plain text"})
    servings = StrictInteger(required=True, validate=SERVINGS, metadata={"description": "people the quantities feed"})
    ingredients = ma.fields.List(ma.fields.Nested(IngredientInputSchema), required=True,
                                 validate=validate.Length(min=1, max=100))
    instructions = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=5000)), required=True,
                                  validate=validate.Length(min=1, max=100),
                                  metadata={"description": "ordered steps, HTML cleaned as the description"})


class RecipeQueryArgsSchema(PaginationArgsSchema):
    category = ma.fields.String(validate=validate.Length(min=1, max=200),
                                metadata={"description": "category id or slug (its subcategories included)"})
    difficulty = ma.fields.String(validate=validate.OneOf(DIFFICULTIES))
    max_time = ma.fields.Integer(validate=validate.Range(min=0, max=1_000_000),
                                 metadata={"description": "total time (prep + cook) at most this many minutes"})
    product = ma.fields.String(validate=validate.Length(min=1, max=255),
                               metadata={"description": "product id or handle: recipes using it"})
    search = ma.fields.String(validate=validate.Length(min=1, max=200),
                              metadata={"description": "in the title, description or tags (case-insensitive)"})
    published = QueryBoolean(metadata={"description": "staff only (content:write); others see published recipes"})


class RecipeReadArgsSchema(CamelSchema):
    servings = ma.fields.Integer(validate=SERVINGS, metadata={"description": "scale the quantities to this"})


class AddToCartArgsSchema(CamelSchema):
    servings = ma.fields.Integer(validate=SERVINGS, metadata={"description": "default: the recipe's servings"})
    cart_id = ma.fields.String(validate=validate.Regexp(r"^cart_[0-9A-Za-z]{1,40}$"),
                               metadata={"description": "default: the signed-in customer's cart (GET /cart); a "
                                                        "guest names the cart"})


# --------------------------------------------------------------------------- schemas (responses)

class IngredientProductSchema(ma.Schema):
    """The linked product now."""

    id = ma.fields.String()
    name = ma.fields.String()
    handle = ma.fields.String()
    status = ma.fields.String()
    variantId = ma.fields.String(allow_none=True)
    variantName = ma.fields.String(allow_none=True)
    soldBy = ma.fields.String(allow_none=True, metadata={"description": "unit | weight; null: variant gone"})
    price = ma.fields.Integer(allow_none=True, metadata={"description": "minor units (per kilogram when soldBy is "
                                                                        "weight); null: the variant is no longer sold"})
    currency = ma.fields.String()
    inventoryCount = ma.fields.Integer(metadata={"description": "available units (grams when sold by weight)"})
    available = ma.fields.Boolean()


class IngredientSchema(ma.Schema):
    position = ma.fields.Integer()
    name = ma.fields.String()
    productId = ma.fields.String(allow_none=True)
    variantId = ma.fields.String(allow_none=True)
    quantity = ma.fields.Float(metadata={"description": "in unit, scaled to servings (3 decimals)"})
    unit = ma.fields.String()
    note = ma.fields.String()
    product = ma.fields.Nested(IngredientProductSchema, allow_none=True)


class RecipeImageSchema(ma.Schema):
    url = ma.fields.String()
    altText = ma.fields.String()


class RecipeSchema(ma.Schema):
    """A recipe (seed 003); times in minutes, `description` and `instructions` HTML."""

    id = ma.fields.String()
    title = ma.fields.String()
    slug = ma.fields.String()
    description = ma.fields.String()
    difficulty = ma.fields.String(validate=validate.OneOf(DIFFICULTIES))
    prepTime = ma.fields.Integer()
    cookTime = ma.fields.Integer()
    totalTime = ma.fields.Integer(metadata={"description": "prepTime + cookTime"})
    servings = ma.fields.Integer(metadata={"description": "what the quantities are for (the asked servings)"})
    baseServings = ma.fields.Integer(metadata={"description": "the recipe's own servings"})
    ingredients = ma.fields.List(ma.fields.Nested(IngredientSchema))
    instructions = ma.fields.List(ma.fields.String())
    images = ma.fields.List(ma.fields.Nested(RecipeImageSchema))
    categoryId = ma.fields.String(allow_none=True)
    category = ma.fields.String(allow_none=True, metadata={"description": "category slug"})
    tags = ma.fields.List(ma.fields.String())
    author = ma.fields.Nested(PersonSchema, allow_none=True)
    isPublished = ma.fields.Boolean()
    createdAt = ma.fields.String()
    updatedAt = ma.fields.String()


class RecipeEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(RecipeSchema)


class RecipeListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(RecipeSchema))
    pagination = ma.fields.Nested(PaginationSchema)


class RecipeCartLineSchema(ma.Schema):
    """What happened to one ingredient (services.orders.recipe_cart)."""

    position = ma.fields.Integer()
    name = ma.fields.String()
    productId = ma.fields.String(allow_none=True)
    variantId = ma.fields.String(allow_none=True)
    status = ma.fields.String(validate=validate.OneOf(("added", "skipped")))
    quantity = ma.fields.Integer(allow_none=True, metadata={"description": "pieces added"})
    grams = ma.fields.Integer(allow_none=True, metadata={"description": "grams per piece (variants sold by weight)"})
    reason = ma.fields.String(allow_none=True, validate=validate.OneOf(orders.RECIPE_SKIP_REASONS))
    available = ma.fields.Integer(allow_none=True, metadata={
        "description": "out_of_stock / insufficient_stock: units left to add (grams when sold by weight)"})
    message = ma.fields.String(allow_none=True)


class RecipeCartSchema(ma.Schema):
    recipeId = ma.fields.String()
    servings = ma.fields.Integer()
    baseServings = ma.fields.Integer()
    added = ma.fields.Integer()
    skipped = ma.fields.Integer()
    lines = ma.fields.List(ma.fields.Nested(RecipeCartLineSchema))
    cart = ma.fields.Nested(CartSchema)


class RecipeCartEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(RecipeCartSchema)
    message = ma.fields.String()


# --------------------------------------------------------------------------- routes

def recipe_list_answer(recipes: list, total: int, page: int, limit: int):
    """`{"data": [recipe], "pagination"}`."""
    return ok(content.recipe_views(recipes), pagination=pagination(page, limit, total))


@blp.route("")
class Recipes(MethodView):
    @blp.arguments(RecipeQueryArgsSchema, location="query")
    @blp.response(200, RecipeListSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def get(self, args):
        """List recipes with filters (category, difficulty, maxTime, product, search) and pagination."""
        drafts = can_see_drafts()
        if "published" in args and not drafts:
            raise NotAllowed("Only staff may filter on published", reason="insufficient_role")
        recipes, total = content.list_recipes(include_unpublished=drafts, **args)
        return recipe_list_answer(recipes, total, args["page"], args["limit"])

    @checked(require_staff)
    @blp.arguments(RecipeCreateSchema)
    @blp.response(201, RecipeEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, body):
        """Create a recipe (staff)."""
        recipe = content.create_recipe(body, current_user())
        response = ok(content.recipe_view(recipe), 201)
        response.headers["Location"] = f"{blp.url_prefix}/{recipe.id}"
        return response


@blp.route("/<string:recipe_id>")
class RecipeById(MethodView):
    @blp.arguments(RecipeReadArgsSchema, location="query")
    @blp.response(200, RecipeEnvelopeSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def get(self, args, recipe_id):
        """Get a recipe by id or slug, with each linked product's current price and availability."""
        recipe = content.get_recipe(recipe_id, include_unpublished=can_see_drafts())
        return ok(content.recipe_view(recipe, args.get("servings")))

    @checked(require_staff)
    @blp.arguments(RecipeUpdateSchema)
    @blp.response(200, RecipeEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def put(self, body, recipe_id):
        """Change a recipe; given lists replace the old ones (staff)."""
        return ok(content.recipe_view(content.update_recipe(recipe_id, body)))

    @checked(require_staff)
    @blp.response(200, MessageSchema)
    @blp.doc(security=BEARER_SECURITY)
    def delete(self, recipe_id):
        """Delete a recipe (staff)."""
        content.delete_recipe(recipe_id)
        return {"message": "Recipe deleted"}


@blp.route("/<string:recipe_id>/add-to-cart")
class RecipeToCart(MethodView):
    @blp.arguments(AddToCartArgsSchema, location="query")
    @blp.response(200, RecipeCartEnvelopeSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def post(self, args, recipe_id):
        """Add a recipe's products, scaled to servings, to a cart; an outcome per ingredient."""
        recipe = content.get_recipe(recipe_id, include_unpublished=can_see_drafts())
        cart = promo_cart(args.get("cart_id"))
        answer = orders.add_recipe_to_cart(cart, recipe, args.get("servings"))
        return ok(answer, message=f"{answer['added']} of {len(answer['lines'])} ingredients added to the cart")
