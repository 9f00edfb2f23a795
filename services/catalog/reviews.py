"""Product reviews (seed 001, moderated since issue 9): create, list, update, delete, rating
summaries, and who may see a review.

One review per customer and product (a second answers 409 `review_exists`). `rating` is a whole
number 1-5. A review is a verified purchase when its author has a `delivered` order of the
product. A new review is `pending` (staff approve or reject it: services.catalog.
review_moderation), except a verified purchase's when `REVIEWS_AUTO_APPROVE_VERIFIED` (default
true): approved at once. Only `approved` reviews are public: the product's list and its rating
summary (product detail, this list) count them alone; an author sees their own reviews of every
status in `my_reviews` (`GET /api/v1/users/me/reviews`). Anyone else asking for a review that is not
approved gets 404 `review_not_found`, as for a missing one.

Edits: only their author or an admin may change or delete one (others: 403 when it is public,
404 otherwise). When its author changes the title or the body of an `approved` or `rejected`
review, it goes back to `pending` (approved again at once under the auto-approval rule), like
Shopify Product Reviews and Yotpo re-moderate edited text; a change of the rating alone keeps
the status; a `hidden` review stays hidden until staff look; an admin's edit keeps the status.
Every write that can change a product's public summary invalidates the catalog cache after
commit (`summary_changed`).

Titles and bodies are user-written HTML, cleaned on write (`services.platform.html`): a
body keeps a small safe subset (paragraphs, line breaks, bold, italics, lists, http/https/
mailto links with `rel="nofollow noopener"`), a title no tag at all. Lengths are checked on
the cleaned text, which is what is stored.
"""

from __future__ import annotations

import peewee

import config
from models.catalog import Product
from models.db import atomic, isoformat, utcnow
from models.orders import Order, OrderItem
from models.reviews import Review
from models.users import User
from services import loyalty
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
    """True when the user has a delivered order containing the product."""
    return (OrderItem.select().join(Order)
            .where(Order.customer == user_id, Order.status == "delivered", OrderItem.product_id == product_id)
            .exists())


def with_author() -> peewee.ModelSelect:
    """Reviews with their author loaded (`review.user`; joined on `user`, not `moderated_by`)."""
    return Review.select(Review, User).join(User, on=(Review.user == User.id))


def summary_changed() -> None:
    """The one place a review write invalidates the catalog cache (the product detail's summary),
    after the current transaction commits."""
    catalog_ttl.invalidate_after_commit()


def _first_status(verified: bool) -> str:
    """The status of a new (or re-moderated) review: approved for a verified purchase under
    REVIEWS_AUTO_APPROVE_VERIFIED, else pending."""
    return "approved" if verified and config.get().reviews_auto_approve_verified else "pending"


def resubmitted(review: Review) -> dict:
    """The fields that send the author's changed `approved` or `rejected` review back to moderation
    (pending, or approved at once under the auto-approval rule); `{}` for other statuses."""
    if review.status not in ("approved", "rejected"):
        return {}
    verified = has_purchased(review.user_id, review.product_id)
    return {"is_verified_purchase": verified, "status": _first_status(verified), "moderation_reason": None,
            "moderated_by": None, "moderated_at": None}


def is_staff(user: User | None) -> bool:
    """Whether `user` moderates reviews (staff or admin) and so sees every review."""
    return user is not None and user.role in ("staff", "admin")


def visible_review(review_id: str, user: User | None) -> Review:
    """The review (author loaded) if `user` may see it: approved ones to everyone, others to their
    author and staff. Raises NotFound (`review_not_found`)."""
    review = with_author().where(Review.id == review_id).first()
    if review is None or (review.status != "approved" and not is_staff(user)
                          and (user is None or review.user_id != user.id)):
        raise NotFound("Review not found", reason="review_not_found")
    return review


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
            verified = has_purchased(user.id, product.id)
            review = Review.create(product=product.id, user=user.id, rating=rating, title=title, body=body,
                                   is_verified_purchase=verified, status=_first_status(verified))
            if review.status == "approved":
                summary_changed()
                loyalty.earn_for_review(review.id, review.user_id)  # auto-approved: the author's points, once
            return review
    except peewee.IntegrityError:
        raise Conflict("You have already reviewed this product", reason="review_exists") from None


def list_reviews(product_id: str, page: int = 1, limit: int = 20) -> tuple[list[Review], int]:
    """A page of an active product's approved reviews, newest first, authors loaded; returns
    (reviews, total). Raises NotFound."""
    product = _product(product_id)
    query = with_author().where(Review.product == product.id, Review.status == "approved")
    total = query.count()
    return list(query.order_by(Review.created_at.desc(), Review.id).paginate(page, limit)), total


def my_reviews(user: User, page: int = 1, limit: int = 20) -> tuple[list[Review], int]:
    """A page of the caller's own reviews of every status, newest first; returns (reviews, total)."""
    query = with_author().where(Review.user == user.id)
    total = query.count()
    return list(query.order_by(Review.created_at.desc(), Review.id).paginate(page, limit)), total


def rating_summaries(product_ids) -> dict:
    """`{product_id: {"averageRating": float | None (1 decimal), "totalReviews": int,
    "distribution": {"1".."5": count}}}` for every id given, over approved reviews only."""
    ids = list(product_ids)
    out = {pid: {"averageRating": None, "totalReviews": 0, "distribution": {str(s): 0 for s in range(1, 6)}}
           for pid in ids}
    if not ids:
        return out
    rows = (Review.select(Review.product, Review.rating, peewee.fn.COUNT(Review.id))
            .where(Review.product.in_(ids), Review.status == "approved")
            .group_by(Review.product, Review.rating).tuples())
    for pid, rating, count in rows:
        out[pid]["distribution"][str(rating)] = count
    for summary in out.values():
        total = sum(summary["distribution"].values())
        summary["totalReviews"] = total
        if total:
            stars = sum(int(s) * c for s, c in summary["distribution"].items())
            summary["averageRating"] = round(stars / total, 1)
    return out


def authored_review(user: User, review_id: str, admin_too: bool = True) -> Review:
    """The review if `user` is its author (or, with `admin_too`, an admin). Raises NotFound (missing,
    or not visible to `user`), NotAllowed (403 `not_review_author`)."""
    review = visible_review(review_id, user)
    if review.user_id != user.id and not (admin_too and user.role == "admin"):
        raise NotAllowed("Only the author or an admin may change this review", reason="not_review_author")
    return review


def update_review(user: User, review_id: str, changes: dict) -> Review:
    """Change `rating`, `title` and/or `body` of a review (author or admin); `title` and `body` are
    cleaned as on create, and the author's text change is re-moderated (module docstring). Raises
    NotFound, NotAllowed (403), ValidationFailed."""
    fields = _cleaned({k: v for k, v in changes.items() if k in ("rating", "title", "body") and v is not None})
    _check(fields.get("rating"), fields.get("title"), fields.get("body"))
    with atomic():
        review = authored_review(user, review_id)
        text_changed = any(k in fields and fields[k] != getattr(review, k) for k in ("title", "body"))
        if text_changed and review.user_id == user.id:
            fields.update(resubmitted(review))
        if fields:
            Review.update(**fields, updated_at=utcnow()).where(Review.id == review.id).execute()
            if "approved" in (review.status, fields.get("status")):
                summary_changed()
            if fields.get("status") == "approved":
                loyalty.earn_for_review(review.id, review.user_id)
    return with_author().where(Review.id == review.id).get()


def delete_review_rows(user: User, review_id: str) -> None:
    """Delete a review (author or admin) with its votes, reports and media rows (cascade); its
    files are services.catalog.review_media.delete_review's. Raises NotFound, NotAllowed (403)."""
    with atomic():
        review = authored_review(user, review_id)
        Review.delete().where(Review.id == review.id).execute()
        if review.status == "approved":
            summary_changed()


def review_view(review: Review, media: list | None = None, private: bool = False) -> dict:
    """`{"id", "productId", "userId", "author" (first name and last initial), "rating", "title", "body",
    "isVerifiedPurchase", "status", "helpfulCount", "media": [{"id", "type": "image" | "video", "url"}],
    "createdAt", "updatedAt"}`; `private` (the author's and staff's view) adds "moderationReason",
    "moderatedAt", "reportedCount". `media` as services.catalog.review_media.media_views gives it."""
    author = review.user
    name = " ".join(part for part in (author.first_name, (author.last_name[:1] + ".") if author.last_name else "")
                    if part) or "Customer"
    view = {"id": review.id, "productId": review.product_id, "userId": review.user_id, "author": name,
            "rating": review.rating, "title": review.title, "body": review.body,
            "isVerifiedPurchase": review.is_verified_purchase, "status": review.status,
            "helpfulCount": review.helpful_count, "media": list(media or []),
            "createdAt": isoformat(review.created_at), "updatedAt": isoformat(review.updated_at)}
    if private:
        view.update(moderationReason=review.moderation_reason, moderatedAt=isoformat(review.moderated_at),
                    reportedCount=review.reported_count)
    return view
