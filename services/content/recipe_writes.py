"""Recipes' writes (staff, `content:write`): create, change and delete.

Input is cleaned on write as review text is (services.platform.html): `description` and each
instruction step keep the small safe HTML subset (`sanitize_html`); `title`, tags, ingredient
names and notes keep no tag at all (`plain_text`). A title or step with nothing left once cleaned
is a 422. Every check runs before anything is written, and a write is one transaction: a refused
request writes nothing.

Rules: the slug is the given one (409 `recipe_slug_taken` when another recipe has it) or, on
create, one made from the title (`-2`, `-3`... when taken; a later title change keeps it, so
links stay); `totalTime` is prep + cook minutes; `categoryId` must name a category (422
`invalid_recipe_category`); a linked ingredient's product must exist and not be archived (422
`unknown_ingredient_product`), its variant (optional; default the product's first live variant)
must be a live variant of that product (422 `unknown_ingredient_variant`), and its unit must be
one the variant can be bought in (422 `ingredient_unit_mismatch`: services.content.recipe_scaling).
"""

from __future__ import annotations

import peewee

from models.catalog import Category, Product, Variant
from models.db import atomic, is_postgres, utcnow
from models.recipes import Recipe, RecipeIngredient
from models.users import User
from services import catalog
from services.content.recipe_scaling import buyable_in, stored_quantity
from services.content.recipes import get_recipe
from services.errors import Conflict, ValidationFailed
from services.platform import html

def _cleaned_text(value: str, field: str) -> str:
    text = html.plain_text(value)
    if not text:
        raise ValidationFailed.for_field(field, "Nothing is left once HTML tags are removed")
    return text


def _variant_of(product_id: str, variant_id: str | None, field: str) -> Variant:
    """The live variant `variant_id` of the product (default: its first live variant)."""
    product = Product.get_or_none(Product.id == product_id)
    if product is None or product.status == "archived":
        raise ValidationFailed.for_field(f"{field}.productId", "No such product (or an archived one)",
                                         reason="unknown_ingredient_product")
    query = Variant.select().where(Variant.product == product_id, Variant.archived_at.is_null())
    variant = (query.where(Variant.id == variant_id) if variant_id else query.order_by(Variant.position)).first()
    if variant is None:
        raise ValidationFailed.for_field(f"{field}.variantId", "Not a live variant of this product",
                                         reason="unknown_ingredient_variant")
    return variant


def _ingredient_rows(ingredients: list[dict]) -> list[dict]:
    """The ingredient rows (without recipe) of `ingredients` `[{"product_id"?, "variant_id"?, "name"?,
    "quantity", "unit", "note"?}]`, checked (module docstring)."""
    rows = []
    for index, spec in enumerate(ingredients):
        field = f"ingredients.{index}"
        product_id = spec.get("product_id")
        name = html.plain_text(spec.get("name") or "")
        if product_id:
            variant = _variant_of(product_id, spec.get("variant_id"), field)
            if not buyable_in(spec["unit"], variant.sold_by, variant.weight_grams):
                how = "by weight: use g or kg" if variant.sold_by == "weight" else \
                    "by the piece: use piece" + (", g or kg" if variant.weight_grams else "")
                raise ValidationFailed.for_field(f"{field}.unit", f"This variant is sold {how}",
                                                 reason="ingredient_unit_mismatch")
        elif not name:
            raise ValidationFailed.for_field(f"{field}.name", "A free-text ingredient needs a name")
        try:
            quantity = stored_quantity(spec["quantity"])
        except ValidationFailed as exc:
            raise ValidationFailed.for_field(f"{field}.quantity", exc.details[0]["message"]) from exc
        rows.append({"position": index, "product": product_id or None,
                     "variant": spec.get("variant_id") if product_id else None, "name": name,
                     "quantity": quantity, "unit": spec["unit"], "note": html.plain_text(spec.get("note") or "")})
    return rows


def _values(data: dict) -> dict:
    """Recipe columns from the given fields of `data` (cleaned and checked)."""
    values = {}
    if "title" in data:
        values["title"] = _cleaned_text(data["title"], "title")
    if "description" in data:
        values["description"] = html.sanitize_html(data["description"] or "")
    if "instructions" in data:
        steps = [html.sanitize_html(step).strip() for step in data["instructions"]]
        for index, step in enumerate(steps):
            if not step:
                raise ValidationFailed.for_field(f"instructions.{index}", "Nothing is left once unsafe HTML is removed")
        values["instructions"] = steps
    if "tags" in data:
        values["tags"] = list(dict.fromkeys(_cleaned_text(tag, f"tags.{i}") for i, tag in enumerate(data["tags"])))
    if "images" in data:
        values["images"] = [{"url": image["url"], "alt_text": html.plain_text(image.get("alt_text") or "")}
                            for image in data["images"]]
    if "category_id" in data:
        category_id = data["category_id"]
        if category_id is not None and not Category.select().where(Category.id == category_id).exists():
            raise ValidationFailed.for_field("categoryId", "No such category", reason="invalid_recipe_category")
        values["category"] = category_id
    for key, column in (("difficulty", "difficulty"), ("prep_time", "prep_minutes"), ("cook_time", "cook_minutes"),
                        ("servings", "servings"), ("is_published", "is_published")):
        if key in data:
            values[column] = data[key]
    return values


def _slug_taken(slug: str) -> Conflict:
    return Conflict(f"The slug {slug} is already used by another recipe", reason="recipe_slug_taken",
                    details=[{"field": "slug", "message": "Already used by another recipe"}])


def _write_ingredients(recipe_id: str, rows: list[dict]) -> None:
    RecipeIngredient.delete().where(RecipeIngredient.recipe == recipe_id).execute()
    if rows:
        RecipeIngredient.insert_many([{**row, "recipe": recipe_id} for row in rows]).execute()


def create_recipe(data: dict, author: User | None) -> Recipe:
    """A new recipe from `data` `{"title", "servings", "ingredients", "instructions", "slug"?,
    "description"?, "difficulty"? (default easy), "prep_time"?, "cook_time"? (minutes, default 0),
    "images"? [{"url", "alt_text"?}], "category_id"?, "tags"?, "is_published"? (default false)}`
    (ingredients as `_ingredient_rows`), written by `author`. Raises ValidationFailed (422), Conflict
    (409 `recipe_slug_taken`)."""
    with atomic():
        values = _values(data)
        rows = _ingredient_rows(data["ingredients"])
        slug = data.get("slug")
        if slug and Recipe.select().where(Recipe.slug == slug).exists():
            raise _slug_taken(slug)
        now = utcnow()
        recipe = Recipe(author=author, created_at=now, updated_at=now,
                        slug=slug or catalog.free_slug(values["title"], Recipe.slug, "recipe"), **values)
        recipe.total_minutes = recipe.prep_minutes + recipe.cook_minutes
        try:
            with atomic():
                recipe.save(force_insert=True)
        except peewee.IntegrityError as exc:  # a concurrent write took the slug
            raise _slug_taken(recipe.slug) from exc
        _write_ingredients(recipe.id, rows)
    return recipe


def update_recipe(ref: str, data: dict) -> Recipe:
    """Change the given fields of the recipe with id or slug `ref` (fields as `create_recipe`;
    `ingredients`, `instructions`, `images` and `tags`, when given, replace the old lists). The
    recipe row is locked while it changes (FOR UPDATE on PostgreSQL). Raises NotFound (404
    `recipe_not_found`), and as `create_recipe`."""
    with atomic():
        recipe = get_recipe(ref, include_unpublished=True)
        query = Recipe.select().where(Recipe.id == recipe.id)
        recipe = (query.for_update() if is_postgres() else query).get()
        values = _values(data)
        rows = _ingredient_rows(data["ingredients"]) if "ingredients" in data else None
        slug = data.get("slug")
        if slug and slug != recipe.slug:
            if Recipe.select().where(Recipe.slug == slug, Recipe.id != recipe.id).exists():
                raise _slug_taken(slug)
            values["slug"] = slug
        for key, value in values.items():
            setattr(recipe, key, value)
        recipe.total_minutes = recipe.prep_minutes + recipe.cook_minutes
        recipe.updated_at = utcnow()
        try:
            with atomic():
                recipe.save()
        except peewee.IntegrityError as exc:
            raise _slug_taken(recipe.slug) from exc
        if rows is not None:
            _write_ingredients(recipe.id, rows)
    return recipe


def delete_recipe(ref: str) -> None:
    """Delete the recipe with id or slug `ref` and its ingredients (nothing else refers to a
    recipe). Raises NotFound (404 `recipe_not_found`)."""
    with atomic():
        recipe = get_recipe(ref, include_unpublished=True)
        RecipeIngredient.delete().where(RecipeIngredient.recipe == recipe.id).execute()
        Recipe.delete().where(Recipe.id == recipe.id).execute()
