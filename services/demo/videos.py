"""Demo shoppable videos of `make run`: a few published videos of the admin, each linked to demo
products, played from public CC0 sample clips (external https URLs) with thumbnails drawn with
Pillow and stored through the same check as an upload (services.content.create_video)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from models.catalog import Product
from models.users import User
from services import content

CLIPS = ("https://interactive-examples.mdn.mozilla.net/media/cc0-videos/flower.mp4",  # MDN, CC0
         "https://interactive-examples.mdn.mozilla.net/media/cc0-videos/friday.mp4")
VIDEOS = (  # (title, category, tags, seconds, featured)
    ("Morning glow routine", "trending_her", ["skincare", "routine"], 5, True),
    ("Five-minute weekday look", "trending_me", ["quick", "grooming"], 5, False),
    ("Gift ideas under 30", "trending_her", ["gifts"], 5, False),
    ("Unboxing the new arrivals", "home", ["unboxing"], 5, False),
)
PRODUCTS_PER_VIDEO = 2
COLORS = ((196, 84, 120), (60, 110, 170), (90, 150, 90), (200, 140, 50))


def _thumbnail(title: str, color: tuple) -> bytes:
    image = Image.new("RGB", (640, 360), color)
    ImageDraw.Draw(image).text((24, 300), title, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def seed_videos(admin: User) -> int:
    """Create VIDEOS by `admin`, each showing PRODUCTS_PER_VIDEO of the oldest active products in
    turn; returns how many were written. Call inside the demo's transaction."""
    products = [pid for (pid,) in Product.select(Product.id).where(Product.status == "active")
                .order_by(Product.created_at, Product.id).limit(len(VIDEOS) * PRODUCTS_PER_VIDEO).tuples()]
    for n, (title, category, tags, seconds, featured) in enumerate(VIDEOS):
        linked = products[n * PRODUCTS_PER_VIDEO:(n + 1) * PRODUCTS_PER_VIDEO]
        content.create_video(admin, {"title": title, "category": category, "tags": tags, "product_ids": linked,
                                     "external_url": CLIPS[n % len(CLIPS)], "duration": seconds,
                                     "description": f"<p>{title}: the products are below the video.</p>",
                                     "is_published": True, "is_featured": featured},
                             None, _thumbnail(title, COLORS[n % len(COLORS)]))
    return len(VIDEOS)
