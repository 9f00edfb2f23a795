"""Review moderation for staff (issue 9, permission `reviews:moderate`: staff and admin, checked by
web.permissions before the view; `require_staff` is the second line): the
queue (`GET /admin/reviews?status=pending&productId=&rating=`, oldest first), approve, and reject
with a required reason. Every decision is audit-logged (web.audit_trail: target type `review`)."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from models.reviews import REVIEW_STATUSES
from services import catalog
from web.reviews import MyReviewListSchema, ReviewEnvelopeSchema
from web.schemas import CamelSchema, PaginationArgsSchema, ok, pagination
from web.security import BEARER_SECURITY, checked, require_staff

blp = Blueprint("review_admin", __name__, url_prefix="/api/v1/admin/reviews", description="Staff: review moderation")


class ModerationArgsSchema(PaginationArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(REVIEW_STATUSES),
                              metadata={"description": "only reviews of this status (default: every status)"})
    product_id = ma.fields.String(validate=validate.Length(min=1, max=64))
    rating = ma.fields.Integer(validate=validate.Range(min=1, max=5), metadata={"description": "stars, 1 to 5"})


class RejectSchema(CamelSchema):
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=500),
                              metadata={"description": "why, shown to the author"})


@blp.route("")
class ModerationQueue(MethodView):
    @checked(require_staff)
    @blp.arguments(ModerationArgsSchema, location="query")
    @blp.response(200, MyReviewListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """List reviews for moderation, oldest first (filter by status, product, rating)."""
        rows, total = catalog.moderation_queue(args.get("status"), args.get("product_id"), args.get("rating"),
                                               args["page"], args["limit"])
        return ok(catalog.review_views(rows, private=True), pagination=pagination(args["page"], args["limit"], total))


@blp.route("/<id(rev):review_id>/approve")
class ApproveReview(MethodView):
    @checked(require_staff)
    @blp.response(200, ReviewEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, review_id):
        """Approve a review (pending, rejected or hidden by reports): it becomes public."""
        review = catalog.approve_review(require_staff(), review_id)
        return ok(catalog.review_views([review], private=True)[0], message="Review approved")


@blp.route("/<id(rev):review_id>/reject")
class RejectReview(MethodView):
    @checked(require_staff)
    @blp.arguments(RejectSchema)
    @blp.response(200, ReviewEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, body, review_id):
        """Reject a review with a reason (shown to its author); it leaves the public list."""
        review = catalog.reject_review(require_staff(), review_id, body["reason"])
        return ok(catalog.review_views([review], private=True)[0], message="Review rejected")
