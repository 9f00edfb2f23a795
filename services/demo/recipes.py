"""Demo recipes (seed 003's Fromagerie Alioui): `data/demo/recipes.json`, each ingredient linked to
a demo cheese by handle (and variant by name) or free text, categories by slug, written by the
demo admin through services.content like a staff member's `POST /recipes`, published."""

from __future__ import annotations

import json
from pathlib import Path

from models.catalog import Product, Variant
from models.users import User
from services import catalog, content


def _ingredient(spec: dict) -> dict:
    """A demo ingredient (`{"product": handle, "variant"?: name}` or `{"name"}`, quantity, unit, note?)."""
    out = {"quantity": spec["quantity"], "unit": spec["unit"], "note": spec.get("note", "")}
    if "product" not in spec:
        return {**out, "name": spec["name"]}
    product = Product.get(Product.handle == spec["product"])
    out["product_id"] = product.id
    if "variant" in spec:
        out["variant_id"] = Variant.get(Variant.product == product.id, Variant.name == spec["variant"]).id
    return out


def seed_recipes(admin: User, path: Path) -> int:
    """Write the recipes of the JSON file `path` as `admin`; returns how many. Call inside the
    demo's transaction, after the demo products and categories."""
    specs = json.loads(path.read_text(encoding="utf-8"))["recipes"]
    for spec in specs:
        content.create_recipe({
            "title": spec["title"], "description": spec.get("description", ""), "difficulty": spec["difficulty"],
            "prep_time": spec["prepTime"], "cook_time": spec["cookTime"], "servings": spec["servings"],
            "tags": spec.get("tags", []), "instructions": spec["instructions"], "is_published": True,
            "images": [{"url": i["url"], "alt_text": i.get("altText", "")} for i in spec.get("images", [])],
            "category_id": catalog.get_category(spec["category"]).node.category.id,
            "ingredients": [_ingredient(i) for i in spec["ingredients"]]}, admin)
    return len(specs)
