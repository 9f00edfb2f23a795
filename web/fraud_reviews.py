"""The fraud review queue (admin): orders on hold for a review, approve (release) or reject
(cancel as fraud); each decision is a label for the next training run."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from services import fraud, orders
from web.fraud_assessments import FraudAssessmentEnvelopeSchema, FraudAssessmentSchema
from web.schemas import PaginationArgsSchema, PaginationSchema, ok, pagination
from web.security import BEARER_SECURITY, checked, require_admin

blp = Blueprint("fraud_reviews", __name__, url_prefix="/api/v1/admin/fraud", description="Admin: fraud review queue")


class FraudReviewItemSchema(ma.Schema):
    order = ma.fields.Dict(metadata={"description": "the order (GET /api/v1/orders/{id} shape)"})
    assessment = ma.fields.Nested(FraudAssessmentSchema)


class FraudReviewListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(FraudReviewItemSchema))
    pagination = ma.fields.Nested(PaginationSchema)


def _review_item(order, assessment) -> dict:
    return {"order": orders.order_view(order), "assessment": fraud.assessment_to_dict(assessment)}


@blp.route("/reviews")
class FraudReviews(MethodView):
    @checked(require_admin)
    @blp.arguments(PaginationArgsSchema, location="query")
    @blp.response(200, FraudReviewListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """List orders on hold for a fraud review, oldest first."""
        rows, total = fraud.review_queue(args["page"], args["limit"])
        return ok([_review_item(o, a) for o, a in rows], pagination=pagination(args["page"], args["limit"], total))


@blp.route("/reviews/<order:order_id>/approve")
class FraudReviewApprove(MethodView):
    @checked(require_admin)
    @blp.response(200, FraudAssessmentEnvelopeSchema)
    @blp.alt_response(409, description="The order is not awaiting a review")
    @blp.doc(security=BEARER_SECURITY)
    def post(self, order_id):
        """Approve a held order: the hold is released and the order continues (a non-fraud label)."""
        admin = require_admin()
        return ok(fraud.assessment_to_dict(fraud.approve(order_id, admin)), message="Order released")


@blp.route("/reviews/<order:order_id>/reject")
class FraudReviewReject(MethodView):
    @checked(require_admin)
    @blp.response(200, FraudAssessmentEnvelopeSchema)
    @blp.alt_response(409, description="The order is not awaiting a review")
    @blp.doc(security=BEARER_SECURITY)
    def post(self, order_id):
        """Reject a held order as fraud: cancelled, stock released, payment voided or refunded (a fraud label)."""
        admin = require_admin()
        return ok(fraud.assessment_to_dict(fraud.reject(order_id, admin)), message="Order cancelled as fraud")
