"""Reviews (seed 001): change or delete one's own review; the review schemas. A product's reviews
(list, write) are web.product_reviews."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import catalog
from web.schemas import CamelSchema, MessageSchema, PaginationSchema, StrictInteger, ok
from web.security import BEARER_SECURITY, checked, require_user

blp = Blueprint("reviews", __name__, url_prefix="/api/v1/reviews", description="Reviews: change or delete")

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
    createdAt = ma.fields.String()
    updatedAt = ma.fields.String()


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


@blp.route("/<id(rev):review_id>")
class ReviewById(MethodView):
    @blp.response(200, ReviewEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    @blp.arguments(ReviewUpdateSchema)
    def put(self, body, review_id):
        """Change a review's rating, title or body (its author or an admin)."""
        review = catalog.update_review(require_user(), review_id, body)
        return ok(catalog.review_view(review), message="Review updated")

    @blp.response(200, MessageSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    def delete(self, review_id):
        """Delete a review (its author or an admin)."""
        catalog.delete_review(require_user(), review_id)
        return {"message": "Review deleted"}
