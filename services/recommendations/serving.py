"""Serving recommendations: reads of precomputed rows only, nothing is trained in a request.

- `related(product_id)`: the product's cosine neighbours of the newest run.
- `for_user(user)`: the user's rows of the run linked to the registry's active
  `recommendations` version (so an admin rollback in the registry rolls personal lists
  back too, while its rows are kept), else popular items the user has not ordered or
  wishlisted; guests get popular items.
- `popular()`, `trending()`: the newest run's lists.

Before the first training run (or when a list is empty) the lists come from `fallback`;
related = popular products of the same category, then popular products.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.catalog import Product
from models.db import isoformat
from models.orders import Order, OrderItem
from models.recommendations import PopularProduct, RecommendationRun, RelatedProduct, UserRecommendation
from models.users import User
from models.wishlists import WishlistItem
from services import catalog
from services.catalog import ProductView
from services.platform import model_registry
from services.recommendations import fallback
from services.recommendations.runs import KIND, newest_run, personal_run, run_result

MAX_LIMIT = 50


@dataclass
class Scored:
    """A served product: its view, score (model units; on-the-fly lists: units sold) and 1-based rank."""

    view: ProductView
    score: float
    rank: int


def _limit(limit: int) -> int:
    return max(1, min(int(limit), MAX_LIMIT))


def _views(ranked: list[tuple[str, float]], limit: int, exclude: set | None = None) -> list[Scored]:
    """Active products of `ranked` [(product_id, score)] in order, skipping `exclude`, at most `limit`."""
    exclude = exclude or set()
    wanted = [(pid, score) for pid, score in ranked if pid not in exclude]
    if not wanted:
        return []
    products = {p.id: p for p in catalog.with_category(Product.select()).where(
        Product.id.in_([pid for pid, _ in wanted]), Product.status == "active")}
    picked = [(products[pid], score) for pid, score in wanted if pid in products][:limit]
    views = catalog.load_views([p for p, _ in picked])
    return [Scored(view, float(score), rank) for rank, (view, (_, score)) in enumerate(zip(views, picked), start=1)]


def _run_list(run: RecommendationRun, kind: str, n: int) -> list[tuple[str, float]]:
    return [(pid, score) for pid, score in PopularProduct.select(PopularProduct.product_id, PopularProduct.score)
            .where(PopularProduct.run == run.id, PopularProduct.kind == kind)
            .order_by(PopularProduct.rank).limit(n).tuples()]


def _meta(source: str, run: RecommendationRun | None) -> dict:
    return {"source": source, "runId": run.id if run else None,
            "modelVersionId": run.model_version_id if run else None,
            "trainedAt": isoformat(run.trained_at) if run else None}


def popular(limit: int = 10, exclude: set | None = None) -> tuple[list[Scored], dict]:
    """Popular products and `meta` {"source": "model" | "on_the_fly", "runId", "modelVersionId", "trainedAt"}.
    With no trained list (or nothing sold) the newest products fill the list."""
    limit, exclude = _limit(limit), exclude or set()
    over = limit + len(exclude) + 10
    run = newest_run()
    ranked = _run_list(run, "popular", over * 2) if run else []
    source = "model"
    if not ranked:
        ranked, source, run = fallback.sold_on_the_fly(over * 2), "on_the_fly", None
    items = _views(ranked, limit, exclude)
    if len(items) < limit:
        seen = exclude | {s.view.product.id for s in items}
        extra = _views(fallback.newest(limit - len(items), seen), limit - len(items), seen)
        items += [Scored(s.view, s.score, len(items) + i) for i, s in enumerate(extra, start=1)]
    return items, _meta(source, run)


def trending(limit: int = 10) -> tuple[list[Scored], dict]:
    """Trending products (recency-decayed interactions of the last 30 days) and `meta` as `popular`."""
    limit = _limit(limit)
    run = newest_run()
    ranked = _run_list(run, "trending", limit * 3) if run else []
    if ranked:
        return _views(ranked, limit), _meta("model", run)
    return _views(fallback.trending_on_the_fly(limit * 3), limit), _meta("on_the_fly", None)


def related(product_id: str, limit: int = 10) -> tuple[list[Scored], dict]:
    """Products related to an active product (cosine neighbours), and `meta` ("model" or
    "popular_fallback": popular products of the same category first). Raises NotFound."""
    product = catalog.get_product(product_id)
    limit = _limit(limit)
    run = newest_run()
    if run:
        ranked = [(pid, score) for pid, score in RelatedProduct.select(RelatedProduct.related_id, RelatedProduct.score)
                  .where(RelatedProduct.run == run.id, RelatedProduct.product_id == product.id)
                  .order_by(RelatedProduct.rank).tuples()]
        items = _views(ranked, limit, {product.id})
        if items:
            return items, _meta("model", run)
    candidates, meta = popular(MAX_LIMIT, exclude={product.id})
    same = [s for s in candidates if product.category_id and s.view.product.category_id == product.category_id]
    others = [s for s in candidates if s not in same]
    picked = (same + others)[:limit]
    return [Scored(s.view, s.score, rank) for rank, s in enumerate(picked, start=1)], \
        dict(meta, source="popular_fallback")


def _interacted(user: User) -> set:
    ordered = {pid for (pid,) in OrderItem.select(OrderItem.product_id).join(Order)
               .where(Order.customer == user.id).tuples()}
    wished = {pid for (pid,) in WishlistItem.select(WishlistItem.product).where(WishlistItem.user == user.id).tuples()}
    return ordered | wished


def for_user(user: User | None, limit: int = 10) -> tuple[list[Scored], dict]:
    """Personal recommendations for `user` (guest: None), and `meta` ("model", or "popular" for a guest,
    a new customer, or when no personal model is active). Products the user ordered or wishlisted
    since training are left out."""
    limit = _limit(limit)
    if user is not None:
        run = personal_run()
        seen = _interacted(user)
        if run:
            ranked = [(pid, score) for pid, score in
                      UserRecommendation.select(UserRecommendation.product_id, UserRecommendation.score)
                      .where(UserRecommendation.run == run.id, UserRecommendation.user_id == user.id)
                      .order_by(UserRecommendation.rank).tuples()]
            items = _views(ranked, limit, seen)
            if items:
                return items, _meta("model", run)
        items, meta = popular(limit, exclude=seen)
        return items, dict(meta, source="popular")
    items, meta = popular(limit)
    return items, dict(meta, source="popular")


def new_arrivals(limit: int = 10) -> list[Scored]:
    """The newest active products."""
    limit = _limit(limit)
    return _views(fallback.newest(limit, set()), limit)


def homepage(user: User | None, limit: int = 8) -> list[dict]:
    """Seed 002's homepage recommendation sections, in order: `for_you` (signed-in customers only),
    `trending`, `new_arrivals`, `popular`. Each: {"key", "title", "source", "items": [Scored]}."""
    sections = []
    if user is not None:
        items, meta = for_user(user, limit)
        sections.append({"key": "for_you", "title": "Recommended for you", "source": meta["source"], "items": items})
    items, meta = trending(limit)
    sections.append({"key": "trending", "title": "Trending now", "source": meta["source"], "items": items})
    sections.append({"key": "new_arrivals", "title": "New arrivals", "source": "catalog",
                     "items": new_arrivals(limit)})
    items, meta = popular(limit)
    sections.append({"key": "popular", "title": "Popular", "source": meta["source"], "items": items})
    return sections


def model_status() -> dict:
    """Admin view: the newest run, the personal run and the registry's active version id."""
    run, personal = newest_run(), personal_run()
    version = model_registry.active(KIND)
    return {"activeRun": run_result(run) if run else None,
            "personalRunId": personal.id if personal else None,
            "activeModelVersionId": version.id if version else None}
