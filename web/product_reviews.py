"""A product's reviews (seed 001): list the approved ones with the rating summary (approved reviews
only, as on the product detail), write one (pending until staff approve it, unless it is a
verified purchase and REVIEWS_AUTO_APPROVE_VERIFIED: services.catalog.reviews). Authors find their
own reviews of every status at `GET /api/v1/users/me/reviews`."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from services import catalog
from web.reviews import ReviewCreateSchema, ReviewEnvelopeSchema, ReviewListSchema, view_of
from web.schemas import PaginationArgsSchema, ok, pagination
from web.security import BEARER_SECURITY, checked, require_user

blp = Blueprint("product_reviews", __name__, url_prefix="/api/v1/products",
                description="Product reviews and ratings")


@blp.route("/<product:product_id>/reviews")
class ProductReviews(MethodView):
    @blp.arguments(PaginationArgsSchema, location="query")
    @blp.response(200, ReviewListSchema)
    def get(self, args, product_id):
        """List a product's approved reviews, newest first, with its rating summary (approved reviews)."""
        rows, total = catalog.list_reviews(product_id, args["page"], args["limit"])
        summary = catalog.rating_summaries([product_id])[product_id]
        return ok(catalog.review_views(rows), pagination=pagination(args["page"], args["limit"], total),
                  summary=summary)

    @blp.response(201, ReviewEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    @blp.arguments(ReviewCreateSchema)
    def post(self, body, product_id):
        """Review a product (one review per customer and product: a second is 409); pending until approved."""
        user = require_user()
        review = catalog.create_review(user, product_id, body["rating"], body["title"], body["body"])
        return ok(view_of(review, user), 201, message="Review added")
