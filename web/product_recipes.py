"""A product's recipes: `GET /api/v1/products/{product_id}/recipes?page=&limit=`, the published
recipes with an ingredient linked to the product (id or handle), newest first (web.recipes for
the recipes themselves)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from services import content
from web.recipes import RecipeListSchema, recipe_list_answer
from web.schemas import PaginationArgsSchema

blp = Blueprint("product_recipes", __name__, url_prefix="/api/v1/products", description="Catalog: a product's recipes")


@blp.route("/<product:product_id>/recipes")
class ProductRecipes(MethodView):
    @blp.arguments(PaginationArgsSchema, location="query")
    @blp.response(200, RecipeListSchema)
    def get(self, args, product_id):
        """List the published recipes that use a product."""
        recipes, total = content.recipes_using(product_id, args["page"], args["limit"])
        return recipe_list_answer(recipes, total, args["page"], args["limit"])
