"""Product reviews (seed 001, moderated since issue 9): one per customer and product, with their
photos and videos, helpful votes and abuse reports.

`Review.rating` is a whole number of stars 1-5 (a CHECK enforces it); a review of a product the
author received (a `delivered` order) is a verified purchase. `status` (REVIEW_STATUSES):
`pending` (new, or edited; waits for staff), `approved` (public), `rejected` (by staff, with a
`moderation_reason`), `hidden` (reported `REVIEWS_REPORT_HIDE_THRESHOLD` times; staff may
approve it back). `reported_count` and `helpful_count` are kept equal to the rows of
`ReviewReport` and `ReviewVote` by conditional increments (services.catalog.review_moderation).
Good reviews (>= 4 stars) are one of the signals of the recommender.
"""

import peewee

from models.catalog import Product
from models.db import BaseModel, PrefixedIdField, utcnow
from models.users import User

REVIEW_STATUSES = ("pending", "approved", "rejected", "hidden")
REPORT_REASONS = ("spam", "offensive", "off_topic", "fake", "other")
MEDIA_KINDS = ("image", "video")


class Review(BaseModel):
    """A customer's review of a product; unique per (user, product)."""

    id = PrefixedIdField("rev")
    product = peewee.ForeignKeyField(Product, backref="reviews", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, backref="reviews", on_delete="CASCADE")
    rating = peewee.SmallIntegerField(constraints=[peewee.Check("rating BETWEEN 1 AND 5")])
    title = peewee.CharField(max_length=200, default="")
    body = peewee.TextField(default="")
    is_verified_purchase = peewee.BooleanField(default=False)
    status = peewee.CharField(max_length=16, default="pending")  # REVIEW_STATUSES
    moderation_reason = peewee.CharField(max_length=500, null=True)  # why staff rejected it
    moderated_by = peewee.ForeignKeyField(User, null=True, backref="moderated_reviews", on_delete="SET NULL")
    moderated_at = peewee.DateTimeField(null=True)
    reported_count = peewee.IntegerField(default=0)
    helpful_count = peewee.IntegerField(default=0)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("user", "product"), True),
            (("product", "created_at"), False),
            (("product", "status", "created_at"), False),
            (("status", "created_at"), False),
        )


class ReviewMedia(BaseModel):
    """A photo (re-encoded WebP/PNG) or short video (stored as sent) of a review; the file is
    `<MEDIA_DIR>/reviews/<review id>/<filename>`."""

    id = PrefixedIdField("rvm")
    review = peewee.ForeignKeyField(Review, backref="media", on_delete="CASCADE")
    kind = peewee.CharField(max_length=8)  # MEDIA_KINDS
    filename = peewee.CharField(max_length=64)
    content_type = peewee.CharField(max_length=32)
    size_bytes = peewee.IntegerField()
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("review", "created_at"), False),)


class ReviewVote(BaseModel):
    """A customer found a review helpful; one per (review, user)."""

    id = PrefixedIdField("rvv")
    review = peewee.ForeignKeyField(Review, backref="votes", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, backref="review_votes", on_delete="CASCADE")
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("review", "user"), True),)


class ReviewReport(BaseModel):
    """A customer reported a review (`reason` among REPORT_REASONS); one per (review, user)."""

    id = PrefixedIdField("rvr")
    review = peewee.ForeignKeyField(Review, backref="reports", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, backref="review_reports", on_delete="CASCADE")
    reason = peewee.CharField(max_length=16)
    comment = peewee.CharField(max_length=500, default="")
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("review", "user"), True),)
