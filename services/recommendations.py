"""Recommendations: the `recommendations_train` job and the serving reads.

Training (`ml` queue, `run_training_job`): loads the shop's interaction
events, runs `ml.recommend.pipeline.train` (weighted implicit matrix with
recency decay, item-item cosine, EASE / PureSVD, time-split evaluation
against popularity), registers the model in the model registry (kind
`recommendations`), and writes the serving tables of `models.recommendations`
under a new run that becomes active in one transaction. The registry version
is activated only when the personal model beats popularity on NDCG@10 in the
test period; otherwise it is rejected and personal lists fall back to
popularity.

Signals (`load_events`): order lines of orders not cancelled (`order`, at the
order time), items of customer carts that were not converted into an order
(`cart_add`, at the add time; converted carts are already counted as orders),
wishlist items (`wishlist`) and reviews of 4 or 5 stars (`review`). Guests
are not in the matrix.

Serving reads precomputed rows only; nothing is trained in a request:

- `related(product_id)`: the product's cosine neighbours of the newest run.
- `for_user(user)`: the user's rows of the run linked to the registry's
  active `recommendations` version (so an admin rollback in the registry
  rolls personal lists back too, while its rows are kept), else popular
  items the user has not ordered or wishlisted; guests get popular items.
- `popular()`, `trending()`: the newest run's lists.

Before the first training run (or when a list is empty), popular and
trending are computed on the fly from orders, a cheap fallback: popular =
units sold per product in non-cancelled orders (newest products fill up an
empty shop), trending = units sold in the last 30 days weighted by
`0.5 ** (age_days / 7)`; related = popular products of the same category,
then popular products.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import peewee

from models.carts import Cart, CartItem
from models.catalog import Product
from models.db import atomic, isoformat, utcnow
from models.jobs import Job
from models.orders import Order, OrderItem
from models.recommendations import PopularProduct, RecommendationRun, RelatedProduct, UserRecommendation
from models.reviews import Review
from models.users import User
from models.wishlists import WishlistItem
from services import catalog, jobs, model_registry
from services.catalog import ProductView
from services.errors import ValidationFailed
from services.jobcontext import JobContext

if TYPE_CHECKING:  # numpy/scipy/scikit-learn load only in processes that train
    from ml.recommend import pipeline
    from ml.recommend.interactions import Events

log = logging.getLogger(__name__)

KIND = "recommendations"
GOOD_REVIEW_STARS = 4
KEEP_RUNS = 3
INSERT_CHUNK = 500
FALLBACK_TRENDING_DAYS = 30
FALLBACK_TRENDING_HALF_LIFE_DAYS = 7.0
FALLBACK_TRENDING_MAX_ROWS = 20_000
MAX_LIMIT = 50
# Types inside the registered artifact beyond skops' defaults: none (a dict of numpy arrays and scalars).
TRUSTED_TYPES: list[str] = []

OPTION_FIELDS = {  # request option (camelCase) -> (TrainingOptions field, min, max)
    "halfLifeDays": ("half_life_days", 1.0, 3650.0),
    "testFraction": ("test_fraction", 0.05, 0.5),
    "relatedPerProduct": ("related_per_item", 1, 100),
    "recommendationsPerUser": ("recommendations_per_user", 1, 100),
    "activeDays": ("active_days", 1.0, 3650.0),
    "trendingDays": ("trending_days", 1.0, 365.0),
    "trendingHalfLifeDays": ("trending_half_life_days", 0.5, 365.0),
}


@dataclass
class Scored:
    """A served product: its view, score (model units; on-the-fly lists: units sold) and 1-based rank."""

    view: ProductView
    score: float
    rank: int


# --------------------------------------------------------------------------- training


def _posix(value: dt.datetime) -> float:
    return value.replace(tzinfo=dt.timezone.utc).timestamp()


def load_events() -> Events:
    """Every customer's interaction events (see the module docstring), as `ml.recommend` Events."""
    from ml.recommend.interactions import Events

    records = []
    orders = (OrderItem.select(Order.customer, OrderItem.product_id, Order.created_at).join(Order)
              .where(Order.customer.is_null(False), Order.status != "cancelled").tuples())
    records += [(u, p, "order", _posix(t)) for u, p, t in orders]
    cart_adds = (CartItem.select(Cart.customer, CartItem.product, CartItem.created_at).join(Cart)
                 .where(Cart.customer.is_null(False), Cart.status != "converted").tuples())
    records += [(u, p, "cart_add", _posix(t)) for u, p, t in cart_adds]
    wished = WishlistItem.select(WishlistItem.user, WishlistItem.product, WishlistItem.created_at).tuples()
    records += [(u, p, "wishlist", _posix(t)) for u, p, t in wished]
    reviewed = (Review.select(Review.user, Review.product, Review.created_at)
                .where(Review.rating >= GOOD_REVIEW_STARS).tuples())
    records += [(u, p, "review", _posix(t)) for u, p, t in reviewed]
    return Events.from_records(records)


def training_options(raw: dict | None) -> pipeline.TrainingOptions:
    """TrainingOptions from a request's `options` (camelCase keys of OPTION_FIELDS).
    Raises ValidationFailed for an unknown key or a value out of range."""
    from ml.recommend import pipeline

    options = pipeline.TrainingOptions()
    for key, value in (raw or {}).items():
        if key not in OPTION_FIELDS:
            raise ValidationFailed(f"Unknown option {key}", reason="invalid_option",
                                   details=[{"field": f"options.{key}", "message": "Unknown option"}])
        name, low, high = OPTION_FIELDS[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high \
                or (isinstance(low, int) and not isinstance(value, int)):
            raise ValidationFailed(f"{key} must be between {low} and {high}", reason="invalid_option",
                                   details=[{"field": f"options.{key}", "message": f"{low} to {high}"}])
        setattr(options, name, type(getattr(options, name))(value))
    return options


def start_training(owner_id: str | None = None, options: dict | None = None) -> Job:
    """Create a `recommendations_train` job (call inside a transaction; the admin endpoint and the
    nightly schedule use it). `options`: see OPTION_FIELDS. Raises ValidationFailed for bad options."""
    training_options(options)
    return jobs.create_job("recommendations_train", {"options": dict(options or {})}, owner_id=owner_id, total=7)


def _plain(value):
    """Numpy scalars and arrays to plain Python (for JSON columns)."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _iso_posix(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return isoformat(dt.datetime.fromtimestamp(seconds, dt.timezone.utc).replace(tzinfo=None))


def _registry_metrics(metrics: dict) -> dict:
    k = metrics.get("k", 10)
    flat = {name: metrics.get(name) for name in (f"precision_at_{k}", f"recall_at_{k}", f"ndcg_at_{k}",
                                                  f"hit_rate_at_{k}", "catalog_coverage",
                                                  f"popularity_ndcg_at_{k}", "test_users", "served_model",
                                                  "beats_popularity")}
    flat["models"] = metrics.get("models", {})
    return _plain(flat)


def _insert_chunks(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), INSERT_CHUNK):
        with atomic():
            model.insert_many(rows[start:start + INSERT_CHUNK]).execute()


def _write_rows(run: RecommendationRun, result: pipeline.TrainingResult) -> None:
    _insert_chunks(RelatedProduct, [
        {"run": run.id, "product_id": pid, "rank": rank, "related_id": other, "score": score}
        for pid, neighbours in result.related.items() for rank, (other, score) in enumerate(neighbours, start=1)])
    _insert_chunks(UserRecommendation, [
        {"run": run.id, "user_id": uid, "rank": rank, "product_id": pid, "score": score}
        for uid, picks in result.user_recommendations.items() for rank, (pid, score) in enumerate(picks, start=1)])
    _insert_chunks(PopularProduct, [
        {"run": run.id, "kind": kind, "rank": rank, "product_id": pid, "score": score}
        for kind, ranked in (("popular", result.popular), ("trending", result.trending))
        for rank, (pid, score) in enumerate(ranked, start=1)])


def _purge_old_runs() -> None:
    """Delete the serving rows of runs older than the newest KEEP_RUNS, except the run of the
    registry's active version (what personal lists are served from). Run records stay as history."""
    keep = {r.id for r in RecommendationRun.select(RecommendationRun.id)
            .where(RecommendationRun.status != "building")
            .order_by(RecommendationRun.trained_at.desc()).limit(KEEP_RUNS)}
    current = model_registry.active(KIND)
    if current:
        keep |= {r.id for r in RecommendationRun.select(RecommendationRun.id)
                 .where(RecommendationRun.model_version_id == current.id)}
    old = [r.id for r in RecommendationRun.select(RecommendationRun.id)
           .where(RecommendationRun.status == "superseded", RecommendationRun.id.not_in(list(keep) or [""]))]
    for table in (RelatedProduct, UserRecommendation, PopularProduct):
        if old:
            with atomic():
                table.delete().where(table.run.in_(old)).execute()


def _run_result(run: RecommendationRun) -> dict:
    return {"runId": run.id, "modelVersionId": run.model_version_id, "servedModel": run.served_model,
            "personalized": run.personalized, "metrics": run.metrics, "counts": run.counts,
            "params": run.params, "trainedAt": isoformat(run.trained_at)}


def run_training_job(job: Job, ctx: JobContext) -> dict:
    """Run a `recommendations_train` job; returns
    `{"runId", "modelVersionId", "servedModel", "personalized", "metrics", "counts", "params", "trainedAt"}`.

    Idempotent: a job whose run was already activated returns that run's
    result; a half-written run of an earlier attempt is deleted (and its
    registry candidate rejected) before starting again. Raises
    ValidationFailed (`insufficient_data`, no retry) with fewer than 2
    customers or 2 products with interactions.
    """
    from ml.recommend import pipeline
    from ml.recommend.interactions import EVENT_WEIGHTS

    existing = RecommendationRun.get_or_none(RecommendationRun.job_id == job.id)
    if existing is not None and existing.status != "building":
        return _run_result(existing)
    if existing is not None:
        with atomic():
            if existing.model_version_id:
                version = model_registry.get_version(existing.model_version_id)
                if version.status == "candidate":
                    model_registry.reject(version.id, "abandoned by a retried training job")
            RecommendationRun.delete().where(RecommendationRun.id == existing.id).execute()
    options = training_options((job.payload or {}).get("options"))
    ctx.progress(0, 7, "loading interactions")
    events = load_events()
    now_dt = utcnow()
    now = _posix(now_dt)
    n_catalog = Product.select().where(Product.status == "active").count()
    try:
        result = pipeline.train(events, now, options, n_catalog=max(n_catalog, 1),
                                progress=lambda step, total, message: ctx.progress(1 + step, 7, message))
    except pipeline.InsufficientData as exc:
        raise ValidationFailed(f"Not enough interactions to train: {exc}", reason="insufficient_data") from None
    metrics = _plain(result.metrics)
    for key in ("test_cutoff", "validation_cutoff"):
        metrics[key] = _iso_posix(metrics.get(key))
    if isinstance(metrics.get("validation"), dict):
        metrics["validation"]["cutoff"] = _iso_posix(metrics["validation"].get("cutoff"))
    window = {"from": _iso_posix(float(events.times.min())), "to": isoformat(now_dt)}
    features = [{"signal": kind, "weight": options.weights.get(kind, EVENT_WEIGHTS[kind])} for kind in EVENT_WEIGHTS]
    with atomic():  # the run row first, so a retry after a crash finds (and cleans up) everything below
        run = RecommendationRun.create(job_id=job.id, status="building",
                                       served_model=result.served_model, personalized=result.personalized,
                                       metrics=metrics, params=_plain(result.params), counts=_plain(result.counts),
                                       trained_at=now_dt)
    version = model_registry.register(KIND, result.artifact, metrics=_registry_metrics(metrics), features=features,
                                      training_window=window, params=_plain(result.params), trusted=TRUSTED_TYPES)
    with atomic():
        RecommendationRun.update(model_version_id=version.id).where(RecommendationRun.id == run.id).execute()
    _write_rows(run, result)
    ctx.progress(7, 7, "activating")
    with atomic():
        RecommendationRun.update(status="superseded").where(RecommendationRun.status == "active").execute()
        RecommendationRun.update(status="active", activated_at=utcnow()).where(
            RecommendationRun.id == run.id).execute()
        if result.personalized:
            model_registry.activate(version.id, KIND, note="beats popularity on NDCG@10 (time split)")
        else:
            model_registry.reject(version.id, "does not beat popularity on NDCG@10 on the time split "
                                              "(or too few test users); personal lists use popularity")
    _purge_old_runs()
    return _run_result(RecommendationRun.get_by_id(run.id))


# --------------------------------------------------------------------------- synthetic demo data


def seed_synthetic_history(history, price: int = 1500) -> dict:
    """Write a generated history (`ml.recommend.synthetic.generate_history`) into the shop as real rows:
    one product per item (stock 100), one customer per user, an order per `order` event, a
    customer cart per user holding the `cart_add` items, wishlist items and reviews. SYNTHETIC data,
    for demos and tests. Returns `{"products": [ids by item], "users": [ids by user], "orders", ...}`.
    """
    from models.catalog import InventoryLevel, Variant
    from models.db import new_id
    from services import inventory

    import config

    currency = config.get().currency
    now = utcnow()
    product_ids = [new_id("prod") for _ in range(history.n_items)]
    variant_ids = [new_id("var") for _ in range(history.n_items)]
    user_ids = [new_id("usr") for _ in range(history.n_users)]
    wh = inventory.default_warehouse().id
    with atomic():
        Product.insert_many([{"id": pid, "name": f"Synthetic product {i}", "handle": f"synthetic-{pid.lower()}",
                              "currency": currency, "price": price, "status": "active",
                              "tags": [f"segment-{int(history.item_segment[i])}"], "created_at": now,
                              "updated_at": now} for i, pid in enumerate(product_ids)]).execute()
        Variant.insert_many([{"id": vid, "product": pid, "name": "Default", "sku": f"SYN-{vid[-12:]}",
                              "price": price, "position": 1, "option_values": []}
                             for vid, pid in zip(variant_ids, product_ids)]).execute()
        InventoryLevel.insert_many([{"variant": vid, "warehouse": wh, "quantity": 100}
                                    for vid in variant_ids]).execute()
        User.insert_many([{"id": uid, "email": f"synthetic-{uid.lower()}@example.com", "password_hash": "!",
                           "first_name": "Synthetic", "last_name": f"User{u}", "role": "customer",
                           "created_at": now, "updated_at": now} for u, uid in enumerate(user_ids)]).execute()
    orders, order_items, cart_items, wishes, reviews = [], [], {}, {}, {}
    carts_by_user = {}
    for n, event in enumerate(history.events):
        uid, pid, vid = user_ids[event.user], product_ids[event.item], variant_ids[event.item]
        if event.kind == "order":
            oid = new_id("ord")
            orders.append({"id": oid, "order_number": f"SYN-{n:07d}-{oid[-6:]}", "customer": uid,
                           "customer_email": f"synthetic-{uid.lower()}@example.com", "status": "delivered",
                           "payment_status": "paid", "payment_method": "cash_on_delivery", "subtotal": price,
                           "total": price, "currency": currency, "shipping_address": {}, "billing_address": {},
                           "shipping_method": {}, "created_at": event.at, "updated_at": event.at})
            order_items.append({"id": new_id("oi"), "order": oid, "product_id": pid, "variant_id": vid,
                                "quantity": 1, "unit_price": price, "total_price": price,
                                "product_snapshot": {"name": f"Synthetic product {event.item}"}})
        elif event.kind == "cart_add":
            cart_id = carts_by_user.setdefault(uid, new_id("cart"))
            cart_items.setdefault((cart_id, vid), {"id": new_id("item"), "cart": cart_id, "product": pid,
                                                   "variant": vid, "quantity": 1, "unit_price": price,
                                                   "created_at": event.at, "updated_at": event.at})
        elif event.kind == "wishlist":
            wishes.setdefault((uid, pid), {"id": new_id("wli"), "user": uid, "product": pid, "price_at_add": price,
                                           "created_at": event.at})
        elif event.kind == "review":
            reviews.setdefault((uid, pid), {"id": new_id("rev"), "user": uid, "product": pid,
                                            "rating": event.rating or 5, "title": "", "body": "",
                                            "created_at": event.at, "updated_at": event.at})
    return _insert_synthetic(orders, order_items, cart_items, carts_by_user, wishes, reviews, currency, now,
                             product_ids, user_ids)


def _insert_synthetic(orders, order_items, cart_items, carts_by_user, wishes, reviews, currency, now,
                      product_ids, user_ids) -> dict:
    carts = [{"id": cid, "customer": uid, "currency": currency, "status": "active", "created_at": now,
              "updated_at": now, "expires_at": now + dt.timedelta(days=30)} for uid, cid in carts_by_user.items()]
    items = list(cart_items.values())
    for model, rows in ((Order, orders), (OrderItem, order_items), (Cart, carts), (CartItem, items),
                        (WishlistItem, list(wishes.values())), (Review, list(reviews.values()))):
        _insert_chunks(model, rows)
    return {"products": product_ids, "users": user_ids, "orders": len(orders), "cartItems": len(items),
            "wishlistItems": len(wishes), "reviews": len(reviews)}


# --------------------------------------------------------------------------- serving


def newest_run() -> RecommendationRun | None:
    """The active (newest completed) run, or None before the first training."""
    return (RecommendationRun.select().where(RecommendationRun.status == "active")
            .order_by(RecommendationRun.activated_at.desc()).first())


def personal_run() -> RecommendationRun | None:
    """The run holding the registry's active `recommendations` version's personal lists, or None."""
    version = model_registry.active(KIND)
    if version is None:
        return None
    return (RecommendationRun.select().where(RecommendationRun.model_version_id == version.id,
                                             RecommendationRun.status != "building").first())


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


def _sold_on_the_fly(n: int) -> list[tuple[str, float]]:
    rows = (OrderItem.select(OrderItem.product_id, peewee.fn.SUM(OrderItem.quantity).alias("units"))
            .join(Order).where(Order.status != "cancelled")
            .group_by(OrderItem.product_id).order_by(peewee.SQL("units").desc(), OrderItem.product_id)
            .limit(n).tuples())
    return [(pid, float(units)) for pid, units in rows]


def _newest(n: int, exclude: set) -> list[tuple[str, float]]:
    rows = (Product.select(Product.id).where(Product.status == "active", Product.id.not_in(list(exclude) or [""]))
            .order_by(Product.created_at.desc(), Product.id).limit(n).tuples())
    return [(pid, 0.0) for (pid,) in rows]


def _trending_on_the_fly(n: int) -> list[tuple[str, float]]:
    now = utcnow()
    since = now - dt.timedelta(days=FALLBACK_TRENDING_DAYS)
    rows = (OrderItem.select(OrderItem.product_id, OrderItem.quantity, Order.created_at).join(Order)
            .where(Order.status != "cancelled", Order.created_at >= since)
            .order_by(Order.created_at.desc()).limit(FALLBACK_TRENDING_MAX_ROWS).tuples())
    scores: dict = {}
    for pid, qty, at in rows:
        age_days = max(0.0, (now - at).total_seconds() / 86400.0)
        scores[pid] = scores.get(pid, 0.0) + qty * 0.5 ** (age_days / FALLBACK_TRENDING_HALF_LIFE_DAYS)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


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
        ranked, source, run = _sold_on_the_fly(over * 2), "on_the_fly", None
    items = _views(ranked, limit, exclude)
    if len(items) < limit:
        seen = exclude | {s.view.product.id for s in items}
        extra = _views(_newest(limit - len(items), seen), limit - len(items), seen)
        items += [Scored(s.view, s.score, len(items) + i) for i, s in enumerate(extra, start=1)]
    return items, _meta(source, run)


def trending(limit: int = 10) -> tuple[list[Scored], dict]:
    """Trending products (recency-decayed interactions of the last 30 days) and `meta` as `popular`."""
    limit = _limit(limit)
    run = newest_run()
    ranked = _run_list(run, "trending", limit * 3) if run else []
    if ranked:
        return _views(ranked, limit), _meta("model", run)
    return _views(_trending_on_the_fly(limit * 3), limit), _meta("on_the_fly", None)


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
    return _views(_newest(limit, set()), limit)


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
    return {"activeRun": _run_result(run) if run else None,
            "personalRunId": personal.id if personal else None,
            "activeModelVersionId": version.id if version else None}
