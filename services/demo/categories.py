"""The demo category tree: four top-level categories of seed 002 types with the leaf
categories the demo products name by slug (`data/demo/shops.json`), so every demo product sits
in a leaf. The Shopify sample imports add their product types as top-level categories.
"""

from __future__ import annotations

from models.catalog import Category
from services import catalog

# (name, slug, type, icon, color, children [(name, slug)])
TREE = [
    ("Flowers", "flowers", "home_delivery", "flower", "#E91E63",
     [("Bouquets", "bouquets"), ("Arrangements", "arrangements"), ("Plants", "plants"),
      ("Dried Flowers", "dried-flowers")]),
    ("Cheese", "cheese", "home_delivery", "cheese", "#FFC107",
     [("Soft Cheese", "soft-cheese"), ("Hard Cheese", "hard-cheese"), ("Blue Cheese", "blue-cheese"),
      ("Goat Cheese", "goat-cheese")]),
    ("Skincare", "skincare", "home_delivery", "droplet", "#8BC34A",
     [("Serums", "serums"), ("Cleansers", "cleansers"), ("Moisturisers", "moisturizers"),
      ("Sunscreen", "sunscreen")]),
    ("Occasions", "occasions", "going_out", "calendar", "#3F51B5",
     [("Birthday", "birthday"), ("Anniversary", "anniversary")]),
]


def seed_categories() -> int:
    """Create the demo tree's missing categories (by slug; existing ones are left alone) inside
    the caller's transaction. Returns how many were created."""
    existing = {slug: cid for slug, cid in Category.select(Category.slug, Category.id).tuples()}
    created = 0
    for order, (name, slug, type_, icon, color, children) in enumerate(TREE, start=1):
        if slug not in existing:
            existing[slug] = catalog.create_category({"name": name, "slug": slug, "type": type_, "icon": icon,
                                                      "sort_order": order, "metadata": {"color": color}}).id
            created += 1
        for child_order, (child_name, child_slug) in enumerate(children, start=1):
            if child_slug not in existing:
                existing[child_slug] = catalog.create_category(
                    {"name": child_name, "slug": child_slug, "type": type_, "parent_id": existing[slug],
                     "sort_order": child_order}).id
                created += 1
    return created
