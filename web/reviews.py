"""Product reviews (seed 001): list and write a product's reviews; change or delete one's own."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import catalog
from web.schemas import (
    CamelSchema,
    MessageSchema,
    PaginationArgsSchema,
    PaginationSchema,
    StrictInteger,
    ok,
    pagination,
)
from web.security import BEARER_SECURITY, checked, require_user

blp = Blueprint("reviews", __name__, url_prefix="/api/v1", description="Product reviews and ratings")

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


@blp.route("/products/<string:product_id>/reviews")
class ProductReviews(MethodView):
    @blp.arguments(PaginationArgsSchema, location="query")
    @blp.response(200, ReviewListSchema)
    def get(self, args, product_id):
        """List a product's reviews, newest first, with its rating summary."""
        rows, total = catalog.list_reviews(product_id, args["page"], args["limit"])
        summary = catalog.rating_summaries([product_id])[product_id]
        return ok([catalog.review_view(r) for r in rows], pagination=pagination(args["page"], args["limit"], total),
                  summary=summary)

    @blp.response(201, ReviewEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    @blp.arguments(ReviewCreateSchema)
    def post(self, body, product_id):
        """Review a product (one review per customer and product: a second is 409)."""
        review = catalog.create_review(require_user(), product_id, body["rating"], body["title"], body["body"])
        return ok(catalog.review_view(review), 201, message="Review added")


@blp.route("/reviews/<string:review_id>")
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
