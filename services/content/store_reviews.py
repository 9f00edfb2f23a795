"""Store reviews (seed 002 store `ratings`): a signed-in customer reviews a store once, rating 1-5
and a text cleaned with nh3 (services.platform.html.sanitize_html); the store's rating sum and
count change in the same transaction by one relative UPDATE (`rating_sum = rating_sum + r`,
`rating_count = rating_count + 1`), so concurrent reviews never lose one, and the one-review
rule is the unique `(store, user)` index, so two racing reviews by one customer give one review
and one 409 `store_already_reviewed`. A store's own staff may not review it (403
`own_store_review`)."""

from __future__ import annotations

import peewee

from models.catalog import Store
from models.db import atomic, isoformat
from models.stores import StoreReview
from models.users import User
from services.content.stores import get_store, is_store_staff
from services.errors import Conflict, NotAllowed
from services.platform import catalog_ttl, html


def review_store(ref: str, user: User, rating: int, text: str) -> StoreReview:
    """Add `user`'s review of the store `ref` (id or slug); `rating` 1-5 (checked by the API
    schema). Returns the review. Raises NotFound (404 `store_not_found`), NotAllowed (403
    `own_store_review`), Conflict (409 `store_already_reviewed`)."""
    store = get_store(ref)
    if is_store_staff(user, store.id):
        raise NotAllowed("A store's staff may not review it", reason="own_store_review")
    try:
        with atomic():
            catalog_ttl.invalidate_after_commit()  # the cached homepage sections
            review = StoreReview.create(store=store.id, user=user.id, rating=rating,
                                        text=html.sanitize_html(text or ""))
            Store.update(rating_sum=Store.rating_sum + rating, rating_count=Store.rating_count + 1) \
                .where(Store.id == store.id).execute()
    except peewee.IntegrityError:
        raise Conflict("You have already reviewed this store", reason="store_already_reviewed") from None
    return review


def list_store_reviews(ref: str, page: int, limit: int) -> tuple[list[StoreReview], int]:
    """A page of the store's reviews, newest first. Returns (reviews, total). Raises NotFound."""
    store = get_store(ref)
    query = StoreReview.select().where(StoreReview.store == store.id)
    total = query.count()
    return list(query.order_by(StoreReview.created_at.desc(), StoreReview.id).paginate(page, limit)), total


def store_review_view(review: StoreReview) -> dict:
    """`{"id", "storeId", "userId", "rating", "text" (cleaned HTML), "createdAt"}`."""
    return {"id": review.id, "storeId": review.store_id, "userId": review.user_id, "rating": review.rating,
            "text": review.text, "createdAt": isoformat(review.created_at)}
