"""Reviews (seed 001, issue 9): change or delete one's own review, list my reviews of every
status (`GET /users/me/reviews`), report one, vote it helpful, add and delete its photos and videos,
and get a media file; the review schemas. A product's reviews (list, write) are
web.product_reviews; the staff moderation queue is web.review_admin.

Media uploads are multipart/form-data with one part, `file` (services.catalog.review_media says
what is accepted); the request body limit of this one route is raised to REVIEW_VIDEO_MAX_BYTES
plus a margin for the form (`_allow_video_bodies`). Media files are served with their stored
Content-Type and `X-Content-Type-Options: nosniff`: an approved review's publicly (cached five
minutes, since moderation may take it down), others only to their author and staff (`private,
no-store`).
"""

from __future__ import annotations

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import validate

import config
from models.reviews import REPORT_REASONS
from services import catalog
from web.schemas import (CamelSchema, MessageSchema, PaginationArgsSchema, PaginationSchema, StrictInteger, ok,
                         pagination)
from web.security import BEARER_SECURITY, OPTIONAL_BEARER_SECURITY, checked, current_user, require_user
from web.uploads import media_response, uploaded_file

blp = Blueprint("reviews", __name__, url_prefix="/api/v1",
                description="Reviews: change, delete, report, vote, photos and videos")

FORM_MARGIN = 64 * 1024  # bytes of multipart framing allowed above the largest file
PUBLIC_MEDIA_CACHE = "public, max-age=300"

RATING = dict(validate=validate.Range(min=1, max=5), metadata={"description": "whole stars, 1 to 5"})


class ReviewCreateSchema(CamelSchema):
    rating = StrictInteger(required=True, **RATING)
    title = ma.fields.String(load_default="", validate=validate.Length(max=catalog.MAX_TITLE))
    body = ma.fields.String(load_default="", validate=validate.Length(max=catalog.MAX_BODY))


class ReviewUpdateSchema(CamelSchema):
    rating = StrictInteger(**RATING)
    title = ma.fields.String(validate=validate.Length(max=catalog.MAX_TITLE))
    body = ma.fields.String(validate=validate.Length(max=catalog.MAX_BODY))


class ReviewSchema(ma.Schema):
    id = ma.fields.String()
    productId = ma.fields.String()
    userId = ma.fields.String()
    author = ma.fields.String(metadata={"description": "first name and last initial"})
    rating = ma.fields.Integer()
    title = ma.fields.String()
    body = ma.fields.String()
    isVerifiedPurchase = ma.fields.Boolean()
    status = ma.fields.String(metadata={"description": "pending, approved, rejected or hidden; public lists "
                                                       "show approved reviews only"})
    helpfulCount = ma.fields.Integer()
    media = ma.fields.List(ma.fields.Nested(lambda: ReviewMediaSchema()))
    moderationReason = ma.fields.String(allow_none=True, metadata={"description": "author and staff only"})
    moderatedAt = ma.fields.String(allow_none=True, metadata={"description": "author and staff only"})
    reportedCount = ma.fields.Integer(metadata={"description": "author and staff only"})
    createdAt = ma.fields.String()
    updatedAt = ma.fields.String()


class ReviewMediaSchema(ma.Schema):
    id = ma.fields.String()
    type = ma.fields.String(metadata={"description": "image or video"})
    url = ma.fields.String()
    contentType = ma.fields.String()


class ReviewMediaEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(ReviewMediaSchema)
    message = ma.fields.String()


class ReviewMediaFormSchema(CamelSchema):
    """multipart/form-data: the photo or video as `file`."""

    file = Upload(required=True, metadata={"description": "JPEG, PNG, WebP or GIF (REVIEW_IMAGE_MAX_BYTES, re-encoded "
                                                          "to WebP), or MP4, MOV or WebM (REVIEW_VIDEO_MAX_BYTES)"})


class ReportSchema(CamelSchema):
    reason = ma.fields.String(required=True, validate=validate.OneOf(REPORT_REASONS))
    comment = ma.fields.String(load_default="", validate=validate.Length(max=500))


class MyReviewListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(ReviewSchema))
    pagination = ma.fields.Nested(PaginationSchema)


class RatingSummarySchema(ma.Schema):
    averageRating = ma.fields.Float(allow_none=True)
    totalReviews = ma.fields.Integer()
    distribution = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                                  metadata={"description": "review count per star, '1'..'5'"})


class ReviewListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(ReviewSchema))
    pagination = ma.fields.Nested(PaginationSchema)
    summary = ma.fields.Nested(RatingSummarySchema)


class ReviewEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(ReviewSchema)
    message = ma.fields.String()


def view_of(review, user) -> dict:
    """One review's API view, private when `user` is its author or staff."""
    private = user is not None and (user.id == review.user_id or user.role in ("staff", "admin"))
    return catalog.review_views([review], private=private)[0]


@blp.before_app_request
def _allow_video_bodies():
    """The media upload route takes bodies up to REVIEW_VIDEO_MAX_BYTES (+ the form's framing); it
    runs before the app's request checks read the form."""
    if request.endpoint == "reviews.ReviewMediaUpload" and request.method == "POST":
        settings = config.get()
        request.max_content_length = max(settings.review_video_max_bytes, settings.review_image_max_bytes) \
            + FORM_MARGIN


@blp.route("/users/me/reviews")
class MyReviews(MethodView):
    @blp.arguments(PaginationArgsSchema, location="query")
    @blp.response(200, MyReviewListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """List my reviews of every status (pending, approved, rejected with its reason, hidden), newest first."""
        user = require_user()
        rows, total = catalog.my_reviews(user, args["page"], args["limit"])
        return ok(catalog.review_views(rows, private=True), pagination=pagination(args["page"], args["limit"], total))


@blp.route("/reviews/<id(rev):review_id>")
class ReviewById(MethodView):
    @blp.response(200, ReviewEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    @blp.arguments(ReviewUpdateSchema)
    def put(self, body, review_id):
        """Change a review's rating, title or body (its author or an admin)."""
        user = require_user()
        review = catalog.update_review(user, review_id, body)
        return ok(view_of(review, user), message="Review updated")

    @blp.response(200, MessageSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    def delete(self, review_id):
        """Delete a review (its author or an admin), with its photos and videos."""
        catalog.delete_review(require_user(), review_id)
        return {"message": "Review deleted"}


@blp.route("/reviews/<id(rev):review_id>/report")
class ReviewReport(MethodView):
    @blp.response(200, ReviewEnvelopeSchema)
    @blp.alt_response(409, description="You already reported this review")
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    @blp.arguments(ReportSchema)
    def post(self, body, review_id):
        """Report a review (once per customer; not your own). Enough reports hide it until staff look."""
        user = require_user()
        review = catalog.report_review(user, review_id, body["reason"], body["comment"])
        return ok(view_of(review, user), message="Review reported")


@blp.route("/reviews/<id(rev):review_id>/helpful")
class ReviewHelpful(MethodView):
    @blp.response(200, ReviewEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, review_id):
        """Mark a review helpful (once per customer: again changes nothing; not your own)."""
        user = require_user()
        return ok(view_of(catalog.add_vote(user, review_id), user), message="Marked helpful")

    @blp.response(200, ReviewEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def delete(self, review_id):
        """Take back my helpful vote (no vote: nothing changes)."""
        user = require_user()
        return ok(view_of(catalog.remove_vote(user, review_id), user), message="Vote removed")


def _uploaded_file() -> bytes | None:
    """The `file` part, up to the larger of the photo and video limits (web.uploads)."""
    settings = config.get()
    return uploaded_file("file", max(settings.review_video_max_bytes, settings.review_image_max_bytes))


@blp.route("/reviews/<id(rev):review_id>/media")
class ReviewMediaUpload(MethodView):
    @blp.response(201, ReviewMediaEnvelopeSchema)
    @blp.alt_response(409, description="The review already has 5 photos and videos")
    @blp.doc(security=BEARER_SECURITY, requestBody={
        "required": True, "content": {"multipart/form-data": {"schema": ReviewMediaFormSchema}}})
    def post(self, review_id):
        """Add a photo or short video to my review (at most 5; an approved review goes back to moderation)."""
        user = require_user()
        return ok(catalog.add_media(user, review_id, _uploaded_file()), 201, message="Media added")


MEDIA_RESPONSES = {"200": {"description": "The photo or video", "content": {
    media: {"schema": {"type": "string", "format": "binary"}}
    for media in ("image/webp", "image/png", "video/mp4", "video/quicktime", "video/webm")}}}


@blp.route("/reviews/<id(rev):review_id>/media/<id(rvm):media_id>")
class ReviewMediaItem(MethodView):
    @blp.doc(responses=MEDIA_RESPONSES, security=OPTIONAL_BEARER_SECURITY)
    @blp.response(200, description="The photo or video", content_type="image/webp")
    def get(self, review_id, media_id):
        """Get a review's photo or video (public while the review is approved; else its author and staff)."""
        user = current_user()
        path, media_type, public = catalog.media_file(user, review_id, media_id)
        return media_response(path, media_type, PUBLIC_MEDIA_CACHE if public else "private, no-store")

    @blp.response(200, MessageSchema)
    @blp.doc(security=BEARER_SECURITY)
    def delete(self, review_id, media_id):
        """Delete a photo or video of a review (its author or an admin)."""
        catalog.delete_media(require_user(), review_id, media_id)
        return {"message": "Media deleted"}
