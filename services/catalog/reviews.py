"""Product reviews (seed 001), kept minimal: create, list, update, delete, rating summaries.

One review per customer and product (a second answers 409 `review_exists`).
`rating` is a whole number 1-5. A review is a verified purchase when its
author has an order of the product that was not cancelled. Reviews are
public; only their author or an admin may change or delete one (others: 403).

Titles and bodies are user-written HTML, cleaned on write (`services.platform.html`): a
body keeps a small safe subset (paragraphs, line breaks, bold, italics, lists, http/https/
mailto links with `rel="nofollow noopener"`), a title no tag at all. Lengths are checked on
the cleaned text, which is what is stored.
"""

from __future__ import annotations

import peewee

from models.catalog import Product
from models.db import atomic, isoformat, utcnow
from models.orders import Order, OrderItem
from models.reviews import Review
from models.users import User
from services.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from services.platform import catalog_ttl, html

MAX_TITLE = 200
MAX_BODY = 5000


def _check(rating: int | None = None, title: str | None = None, body: str | None = None) -> None:
    if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5):
        raise ValidationFailed("Rating must be a whole number from 1 to 5", reason="invalid_rating",
                               details=[{"field": "rating", "message": "1 to 5"}])
    if title is not None and len(title) > MAX_TITLE:
        raise ValidationFailed("Title too long", reason="invalid_title",
                               details=[{"field": "title", "message": f"At most {MAX_TITLE} characters"}])
    if body is not None and len(body) > MAX_BODY:
        raise ValidationFailed("Body too long", reason="invalid_body",
                               details=[{"field": "body", "message": f"At most {MAX_BODY} characters"}])


def _cleaned(fields: dict) -> dict:
    """`fields` with `title` reduced to plain text and `body` to the safe HTML subset."""
    out = dict(fields)
    if out.get("title") is not None:
        out["title"] = html.plain_text(out["title"])
    if out.get("body") is not None:
        out["body"] = html.sanitize_html(out["body"])
    return out


def _product(product_id: str) -> Product:
    product = Product.get_or_none(Product.id == product_id, Product.status == "active")
    if product is None:
        raise NotFound("Product not found", reason="product_not_found")
    return product


def has_purchased(user_id: str, product_id: str) -> bool:
    """True when the user has a non-cancelled order containing the product."""
    return (OrderItem.select().join(Order)
            .where(Order.customer == user_id, Order.status != "cancelled", OrderItem.product_id == product_id)
            .exists())


def create_review(user: User, product_id: str, rating: int, title: str = "", body: str = "") -> Review:
    """The caller's review of an active product; `title` and `body` are cleaned (see above). Raises
    NotFound (product), ValidationFailed (rating 1-5, cleaned title <= 200, cleaned body <= 5000
    characters), Conflict (409 `review_exists`: one review per product)."""
    cleaned = _cleaned({"title": title or "", "body": body or ""})
    title, body = cleaned["title"], cleaned["body"]
    _check(rating, title, body)
    product = _product(product_id)
    if Review.select().where(Review.user == user.id, Review.product == product.id).exists():
        raise Conflict("You have already reviewed this product", reason="review_exists")
    try:
        with atomic():
            catalog_ttl.invalidate_after_commit()  # the product's rating summary changes
            return Review.create(product=product.id, user=user.id, rating=rating, title=title, body=body,
                                 is_verified_purchase=has_purchased(user.id, product.id))
    except peewee.IntegrityError:
        raise Conflict("You have already reviewed this product", reason="review_exists") from None


def list_reviews(product_id: str, page: int = 1, limit: int = 20) -> tuple[list[Review], int]:
    """A page of an active product's reviews, newest first, authors loaded; returns (reviews, total).
    Raises NotFound."""
    product = _product(product_id)
    query = Review.select(Review, User).join(User).where(Review.product == product.id)
    total = query.count()
    return list(query.order_by(Review.created_at.desc(), Review.id).paginate(page, limit)), total


def rating_summaries(product_ids) -> dict:
    """`{product_id: {"averageRating": float | None (1 decimal), "totalReviews": int,
    "distribution": {"1".."5": count}}}` for every id given."""
    ids = list(product_ids)
    out = {pid: {"averageRating": None, "totalReviews": 0, "distribution": {str(s): 0 for s in range(1, 6)}}
           for pid in ids}
    if not ids:
        return out
    rows = (Review.select(Review.product, Review.rating, peewee.fn.COUNT(Review.id))
            .where(Review.product.in_(ids)).group_by(Review.product, Review.rating).tuples())
    for pid, rating, count in rows:
        out[pid]["distribution"][str(rating)] = count
    for summary in out.values():
        total = sum(summary["distribution"].values())
        summary["totalReviews"] = total
        if total:
            stars = sum(int(s) * c for s, c in summary["distribution"].items())
            summary["averageRating"] = round(stars / total, 1)
    return out


def _editable(user: User, review_id: str) -> Review:
    review = Review.get_or_none(Review.id == review_id)
    if review is None:
        raise NotFound("Review not found", reason="review_not_found")
    if review.user_id != user.id and user.role != "admin":
        raise NotAllowed("Only the author or an admin may change this review", reason="not_review_author")
    return review


def update_review(user: User, review_id: str, changes: dict) -> Review:
    """Change `rating`, `title` and/or `body` of a review (author or admin); `title` and `body` are
    cleaned as on create. Raises NotFound, NotAllowed (403), ValidationFailed."""
    fields = _cleaned({k: v for k, v in changes.items() if k in ("rating", "title", "body") and v is not None})
    _check(fields.get("rating"), fields.get("title"), fields.get("body"))
    with atomic():
        review = _editable(user, review_id)
        if fields:
            Review.update(**fields, updated_at=utcnow()).where(Review.id == review.id).execute()
            catalog_ttl.invalidate_after_commit()
    return Review.select(Review, User).join(User).where(Review.id == review.id).get()


def delete_review(user: User, review_id: str) -> None:
    """Delete a review (author or admin). Raises NotFound, NotAllowed (403)."""
    with atomic():
        review = _editable(user, review_id)
        Review.delete().where(Review.id == review.id).execute()
        catalog_ttl.invalidate_after_commit()


def review_view(review: Review) -> dict:
    """`{"id", "productId", "userId", "author" (first name and last initial), "rating", "title", "body",
    "isVerifiedPurchase", "createdAt", "updatedAt"}`."""
    author = review.user
    name = " ".join(part for part in (author.first_name, (author.last_name[:1] + ".") if author.last_name else "")
                    if part) or "Customer"
    return {"id": review.id, "productId": review.product_id, "userId": review.user_id, "author": name,
            "rating": review.rating, "title": review.title, "body": review.body,
            "isVerifiedPurchase": review.is_verified_purchase, "createdAt": isoformat(review.created_at),
            "updatedAt": isoformat(review.updated_at)}
