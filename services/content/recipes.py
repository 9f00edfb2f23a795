"""Recipes' reads: find one by id or slug, list them with filters, and their views with each
linked ingredient's current product (name, price, availability).

Who sees what: published recipes are public; unpublished ones only with `include_unpublished`
(the web layer passes it for callers with `content:write`), else they are not found.
"""

from __future__ import annotations

from fractions import Fraction

from models.catalog import Category, Product
from models.db import isoformat
from models.recipes import Recipe, RecipeIngredient
from models.users import User
from services import catalog
from services.content.recipe_scaling import check_servings, scale_ingredient, shown_quantity
from services.errors import NotFound


def get_recipe(ref: str, include_unpublished: bool = False) -> Recipe:
    """The recipe with id (`rcp_...`) or slug `ref`. Raises NotFound (404 `recipe_not_found`),
    also for an unpublished recipe without `include_unpublished`."""
    key = Recipe.id if ref.startswith("rcp_") else Recipe.slug
    recipe = Recipe.get_or_none(key == ref)
    if recipe is None or not (recipe.is_published or include_unpublished):
        raise NotFound("Recipe not found", reason="recipe_not_found")
    return recipe


def _category_ids(ref: str) -> list[str]:
    """The category `ref` (id or slug) and its visible subtree; [] when there is no such category."""
    try:
        return catalog.subtree_ids(ref)
    except NotFound:
        return []


def _product_id(ref: str) -> str | None:
    """The id of the product with id or handle `ref` (any status), or None."""
    key = Product.id if ref.startswith("prod_") else Product.handle
    return Product.select(Product.id).where(key == ref).scalar()


def filter_recipes(query, category: str | None = None, difficulty: str | None = None, max_time: int | None = None,
                   product: str | None = None, search: str | None = None, published: bool | None = None):
    """`query` (on Recipe) narrowed by the list's filters: `category` id or slug (its subtree
    included; unknown: nothing), `difficulty`, `max_time` (total minutes at most), `product`
    (id or handle: recipes with an ingredient linked to it; unknown: nothing), `search`
    (case-insensitive substring of the title, description or tags), `published`."""
    if category:
        query = query.where(Recipe.category.in_(_category_ids(category)))
    if difficulty:
        query = query.where(Recipe.difficulty == difficulty)
    if max_time is not None:
        query = query.where(Recipe.total_minutes <= max_time)
    if product:
        product_id = _product_id(product) or ""  # "" matches no ingredient (None would match free text)
        query = query.where(Recipe.id.in_(RecipeIngredient.select(RecipeIngredient.recipe).where(
            RecipeIngredient.product == product_id)))
    if search and search.strip():
        term = search.strip()
        query = query.where(Recipe.title.contains(term) | Recipe.description.contains(term)
                            | Recipe.tags.cast("text").contains(term))
    if published is not None:
        query = query.where(Recipe.is_published == published)
    return query


def list_recipes(page: int = 1, limit: int = 20, include_unpublished: bool = False, **filters) -> tuple[list, int]:
    """A page of recipes, newest first (ties on id), and the total matching: `(recipes, total)`.
    `filters` as `filter_recipes`; without `include_unpublished` only published recipes."""
    query = filter_recipes(Recipe.select(), **filters)
    if not include_unpublished:
        query = query.where(Recipe.is_published == True)  # noqa: E712 (SQL)
    rows = list(query.order_by(Recipe.created_at.desc(), Recipe.id.desc()).paginate(page, limit))
    total = len(rows) if page == 1 and len(rows) < limit else query.count()
    return rows, total


def _product_info(view, variant_id: str | None) -> dict:
    """A linked ingredient's product now: `{"id", "name", "handle", "status", "variantId",
    "variantName", "soldBy", "price" (minor units; per kilogram when soldBy is weight; None when
    the variant is no longer sold), "currency", "inventoryCount" (available units, grams for
    weight), "available"}`."""
    product = view.product
    variant = next((v for v in view.variants if v.id == variant_id), None) if variant_id else \
        (view.variants[0] if view.variants else None)
    stock = view.stock.get(variant.id, 0) if variant else 0
    return {"id": product.id, "name": product.name, "handle": product.handle, "status": product.status,
            "variantId": variant.id if variant else variant_id, "variantName": variant.name if variant else None,
            "soldBy": variant.sold_by if variant else None, "price": variant.price if variant else None,
            "currency": product.currency, "inventoryCount": stock,
            "available": bool(variant) and product.status == "active" and stock >= (variant.min_weight_grams or 1)}


def recipe_views(recipes: list[Recipe], servings: int | None = None) -> list[dict]:
    """The recipes' JSON (seed 003's Recipe): `{"id", "title", "slug", "description" (HTML),
    "difficulty", "prepTime", "cookTime", "totalTime" (minutes), "servings", "ingredients":
    [{"position", "name", "productId", "variantId", "quantity", "unit", "note", "product": _product_info
    or null}], "instructions" [HTML], "images" [{"url", "altText"}], "categoryId", "category" (slug),
    "tags", "author" {"id", "name"} or null, "isPublished", "createdAt", "updatedAt"}`. With
    `servings` the quantities are scaled to it (recipe_scaling; `servings` then says so) and
    `baseServings` is the recipe's own. A linked ingredient without a name shows the product's.
    Batch-loaded: five queries whatever the number of recipes. Raises ValidationFailed (422) for
    servings outside 1..MAX_SERVINGS."""
    if servings is not None:
        check_servings(servings)
    if not recipes:
        return []
    ids = [r.id for r in recipes]
    ingredients: dict[str, list[RecipeIngredient]] = {r.id: [] for r in recipes}
    for row in RecipeIngredient.select().where(RecipeIngredient.recipe.in_(ids)).order_by(RecipeIngredient.position):
        ingredients[row.recipe_id].append(row)
    product_ids = {row.product_id for rows in ingredients.values() for row in rows if row.product_id}
    products = {view.product.id: view for view in catalog.load_views(
        list(catalog.with_category(Product.select()).where(Product.id.in_(list(product_ids)))))} if product_ids else {}
    slugs = dict(Category.select(Category.id, Category.slug).where(
        Category.id.in_([r.category_id for r in recipes if r.category_id])).tuples())
    authors = {u.id: u for u in User.select(User.id, User.first_name, User.last_name).where(
        User.id.in_([r.author_id for r in recipes if r.author_id]))}
    out = []
    for recipe in recipes:
        scale = Fraction(servings if servings is not None else recipe.servings, recipe.servings)
        lines = []
        for row in ingredients[recipe.id]:
            scaled = scale_ingredient(row, scale)
            view = products.get(row.product_id)
            lines.append({"position": row.position, "name": row.name or (view.product.name if view else ""),
                          "productId": row.product_id, "variantId": row.variant_id,
                          "quantity": shown_quantity(scaled.quantity), "unit": row.unit, "note": row.note,
                          "product": _product_info(view, row.variant_id) if view else None})
        author = authors.get(recipe.author_id)
        out.append({
            "id": recipe.id, "title": recipe.title, "slug": recipe.slug, "description": recipe.description,
            "difficulty": recipe.difficulty, "prepTime": recipe.prep_minutes, "cookTime": recipe.cook_minutes,
            "totalTime": recipe.total_minutes, "servings": servings if servings is not None else recipe.servings,
            "baseServings": recipe.servings, "ingredients": lines, "instructions": list(recipe.instructions or []),
            "images": [{"url": i["url"], "altText": i.get("alt_text", "")} for i in recipe.images or []],
            "categoryId": recipe.category_id, "category": slugs.get(recipe.category_id),
            "tags": list(recipe.tags or []),
            "author": {"id": author.id, "name": f"{author.first_name} {author.last_name}".strip()} if author else None,
            "isPublished": recipe.is_published, "createdAt": isoformat(recipe.created_at),
            "updatedAt": isoformat(recipe.updated_at)})
    return out


def recipe_view(recipe: Recipe, servings: int | None = None) -> dict:
    """One recipe's JSON (`recipe_views`)."""
    return recipe_views([recipe], servings)[0]


def recipes_using(product_ref: str, page: int = 1, limit: int = 20) -> tuple[list, int]:
    """Published recipes with an ingredient linked to the active product with id or handle
    `product_ref`, newest first: `(recipes, total)`. Raises NotFound (404 `product_not_found`)."""
    product = catalog.get_product(product_ref)
    return list_recipes(page, limit, product=product.id)

