"""Review moderation (issue 9): the staff queue, approve and reject, customers' abuse reports and
helpful votes.

Staff (`reviews:moderate`: staff and admin) list reviews by status, product and rating (oldest
first: a queue), approve one (any status -> `approved`, from `hidden` too) or reject one with a
reason (1-500 characters, required: 422 `missing_reject_reason`); each decision records who and
when (`moderated_by`, `moderated_at`).

Reports: a signed-in customer reports a public review once (`reason` among
models.reviews.REPORT_REASONS, an optional comment of at most 500 characters); a second report of
the same review is 409 `review_already_reported`, one's own review 403 `own_review`. Each report
adds one to `reported_count` with a conditional increment under the row's lock
(`SET reported_count = reported_count + 1`), so the count is exact under concurrent reports; the
report that brings it to `REVIEWS_REPORT_HIDE_THRESHOLD` (default 3) hides an approved (or pending)
review (`hidden`). Only that report hides: a review staff approved back stays visible whatever
further reports come (staff have seen it).

Helpful votes: `add_vote` (idempotent: a second vote changes nothing) and `remove_vote` (idempotent
too); not on one's own review (403 `own_review`); `helpful_count` moves by one only when a vote
row was inserted or deleted, so it is exact under concurrent votes.

Reviews that are not public are 404 `review_not_found` to customers (services.catalog.reviews.
visible_review). Approving, rejecting or hiding an approved review changes the product's rating
summary: the catalog cache is invalidated after commit.
"""

from __future__ import annotations

import peewee

import config
from models.db import atomic, database, is_postgres, utcnow
from models.reviews import REPORT_REASONS, Review, ReviewReport, ReviewVote
from models.users import User
from services import loyalty
from services.catalog.reviews import summary_changed, visible_review, with_author
from services.errors import Conflict, NotAllowed, NotFound, ValidationFailed

MAX_REASON = 500
MAX_COMMENT = 500


def moderation_queue(status: str | None = None, product_id: str | None = None, rating: int | None = None,
                     page: int = 1, limit: int = 20) -> tuple[list[Review], int]:
    """A page of reviews, oldest first, authors loaded, filtered by `status` (REVIEW_STATUSES; None:
    every status), `product_id` and `rating`; returns (reviews, total)."""
    query = with_author()
    if status is not None:
        query = query.where(Review.status == status)
    if product_id is not None:
        query = query.where(Review.product == product_id)
    if rating is not None:
        query = query.where(Review.rating == rating)
    total = query.count()
    return list(query.order_by(Review.created_at, Review.id).paginate(page, limit)), total


def _locked(review_id: str) -> Review:
    """The review, its row locked on PostgreSQL (SQLite: `atomic()`'s write lock). Raises NotFound."""
    query = Review.select().where(Review.id == review_id)
    if is_postgres():
        query = query.for_update("FOR NO KEY UPDATE")
    review = query.first()
    if review is None:
        raise NotFound("Review not found", reason="review_not_found")
    return review


def _decide(staff: User, review_id: str, status: str, reason: str | None) -> Review:
    with atomic():
        review = _locked(review_id)
        Review.update(status=status, moderation_reason=reason, moderated_by=staff.id, moderated_at=utcnow()) \
            .where(Review.id == review.id).execute()
        if "approved" in (review.status, status) and review.status != status:
            summary_changed()
        if status == "approved":  # the author's loyalty points, once per review (key earn:review:{id})
            loyalty.earn_for_review(review.id, review.user_id)
    return visible_review(review_id, staff)


def approve_review(staff: User, review_id: str) -> Review:
    """Approve a review (pending, rejected or hidden ones; approving an approved one just records
    the decision). Returns it. Raises NotFound."""
    return _decide(staff, review_id, "approved", None)


def reject_review(staff: User, review_id: str, reason: str) -> Review:
    """Reject a review with `reason` (trimmed, 1-500 characters). Returns it. Raises NotFound,
    ValidationFailed (422 `missing_reject_reason`)."""
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise ValidationFailed(f"A reason of 1 to {MAX_REASON} characters is required", reason="missing_reject_reason",
                               details=[{"field": "reason", "message": f"1 to {MAX_REASON} characters"}])
    return _decide(staff, review_id, "rejected", reason)


def _not_own(user: User, review: Review) -> None:
    if review.user_id == user.id:
        raise NotAllowed("You cannot do this to your own review", reason="own_review")


def _public(user: User, review_id: str) -> Review:
    """A review `user` may vote on or report: someone else's approved review."""
    review = visible_review(review_id, user)
    _not_own(user, review)
    if review.status != "approved":
        raise NotFound("Review not found", reason="review_not_found")
    return review


def report_review(user: User, review_id: str, reason: str, comment: str = "") -> Review:
    """Report a public review (module docstring). Returns it after the report. Raises NotFound,
    NotAllowed (403 `own_review`), Conflict (409 `review_already_reported`), ValidationFailed."""
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed("Comment too long", reason="invalid_report",
                               details=[{"field": "comment", "message": f"At most {MAX_COMMENT} characters"}])
    if reason not in REPORT_REASONS:
        raise ValidationFailed("Unknown report reason", reason="invalid_report",
                               details=[{"field": "reason", "message": ", ".join(REPORT_REASONS)}])
    review = _public(user, review_id)
    threshold = config.get().reviews_report_hide_threshold
    with atomic():
        try:
            with database.atomic():  # a savepoint: a concurrent duplicate leaves the transaction usable
                ReviewReport.create(review=review.id, user=user.id, reason=reason, comment=comment)
        except peewee.IntegrityError:
            raise Conflict("You have already reported this review", reason="review_already_reported") from None
        Review.update(reported_count=Review.reported_count + 1).where(Review.id == review.id).execute()
        current = Review.select(Review.reported_count, Review.status).where(Review.id == review.id).get()
        if current.reported_count == threshold and current.status in ("approved", "pending"):
            Review.update(status="hidden").where(Review.id == review.id).execute()
            if current.status == "approved":
                summary_changed()
    return with_author().where(Review.id == review.id).get()


def add_vote(user: User, review_id: str) -> Review:
    """Mark a public review helpful (idempotent). Returns it. Raises NotFound, NotAllowed (403
    `own_review`)."""
    review = _public(user, review_id)
    with atomic():
        try:
            with database.atomic():
                ReviewVote.create(review=review.id, user=user.id)
        except peewee.IntegrityError:
            pass  # already voted: nothing changes
        else:
            Review.update(helpful_count=Review.helpful_count + 1).where(Review.id == review.id).execute()
    return with_author().where(Review.id == review.id).get()


def remove_vote(user: User, review_id: str) -> Review:
    """Take back one's helpful vote (idempotent). Returns the review. Raises NotFound, NotAllowed."""
    review = _public(user, review_id)
    with atomic():
        removed = ReviewVote.delete().where(ReviewVote.review == review.id, ReviewVote.user == user.id).execute()
        if removed:
            Review.update(helpful_count=Review.helpful_count - 1).where(Review.id == review.id).execute()
    return with_author().where(Review.id == review.id).get()

