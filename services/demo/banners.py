"""Demo homepage banners for `make run`: one per seed shop's category, linking to it, and a
storefront path for the promotion code."""

from __future__ import annotations

from models.catalog import Category
from services import content

BANNERS = [  # (title, subtitle, category slug or None, storefront path)
    ("Fresh bouquets, delivered today", "Order before the cut-off for same-day flowers", "flowers", None),
    ("The cheese counter", "Soft, hard and blue, cut to the gram", "cheese", None),
    ("Skincare that works", "Serums and sunscreen for winter skin", "skincare", None),
    ("10% off your first order", "Use code WELCOME10 at checkout", None, "/promos"),
]


def seed_banners(admin_id: str) -> None:
    """Write the demo banners (inside the demo transaction); a category missing from the tree is skipped."""
    ids = dict(Category.select(Category.slug, Category.id).tuples())
    for position, (title, subtitle, slug, path) in enumerate(BANNERS, start=1):
        if slug and slug not in ids:
            continue
        content.create_banner({"title": title, "subtitle": subtitle, "position": position,
                               "image_url": f"https://images.cartwheel.test/banners/{slug or 'welcome'}.jpg",
                               "link_type": "category" if slug else "url", "link": ids[slug] if slug else path},
                              admin_id)
