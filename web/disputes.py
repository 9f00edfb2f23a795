"""Stripe disputes (chargebacks), staff: `GET /api/v1/disputes` (`?status=` paginated, newest first),
`GET /api/v1/disputes/{dispute_id}` (`disputes:read`) and `POST /api/v1/disputes/{dispute_id}/release-hold`
(`disputes:manage`: the order held by the dispute continues). Disputes are recorded from Stripe's
`charge.dispute.*` webhooks (services.orders.disputes); amounts are minor units of `currency`."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from models.disputes import DISPUTE_STATUSES, HOLD_STATES
from services import orders
from web.schemas import PaginationArgsSchema, PaginationSchema, ok, pagination
from web.security import BEARER_SECURITY, checked, require_staff

blp = Blueprint("disputes", __name__, url_prefix="/api/v1/disputes", description="Staff: Stripe disputes (chargebacks)")


class DisputeQueryArgsSchema(PaginationArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(DISPUTE_STATUSES), metadata={"description": "Stripe's status"})


class DisputeSchema(ma.Schema):
    """A Stripe dispute of an order's payment, as Stripe last described it."""

    id = ma.fields.String(metadata={"description": "`dsp_...`"})
    stripeDisputeId = ma.fields.String(metadata={"description": "Stripe's dispute id, `dp_...`"})
    orderId = ma.fields.String()
    paymentId = ma.fields.String()
    amount = ma.fields.Integer(metadata={"description": "disputed amount, minor units of currency"})
    currency = ma.fields.String()
    reason = ma.fields.String(metadata={"description": "Stripe's: fraudulent, product_not_received, duplicate, ..."})
    status = ma.fields.String(metadata={"description": " | ".join(DISPUTE_STATUSES)})
    hold = ma.fields.String(metadata={"description": " | ".join(HOLD_STATES) + ": whether the dispute holds the "
                                                                             "order's fulfilment"})
    fundsWithdrawn = ma.fields.Boolean(metadata={"description": "Stripe holds the disputed amount"})
    evidenceDueBy = ma.fields.String(allow_none=True, metadata={"description": "ISO 8601 UTC"})
    stripeCreatedAt = ma.fields.String(allow_none=True)
    closedAt = ma.fields.String(allow_none=True)
    createdAt = ma.fields.String()
    updatedAt = ma.fields.String()


class DisputeEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(DisputeSchema)
    message = ma.fields.String()
    orderReleased = ma.fields.Boolean(metadata={"description": "release-hold: the order left on_hold (false while "
                                                               "another dispute or a fraud review holds it)"})


class DisputeListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(DisputeSchema))
    pagination = ma.fields.Nested(PaginationSchema)


@blp.route("")
class Disputes(MethodView):
    @checked(require_staff)
    @blp.arguments(DisputeQueryArgsSchema, location="query")
    @blp.response(200, DisputeListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """List Stripe disputes, newest first, optionally by status (staff)."""
        rows, total = orders.list_disputes(args.get("status"), args["page"], args["limit"])
        return ok([orders.dispute_view(d) for d in rows], pagination=pagination(args["page"], args["limit"], total))


@blp.route("/<id(dsp):dispute_id>")
class DisputeById(MethodView):
    @checked(require_staff)
    @blp.response(200, DisputeEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, dispute_id):
        """Get a Stripe dispute (staff)."""
        return ok(orders.dispute_view(orders.get_dispute(dispute_id)))


@blp.route("/<id(dsp):dispute_id>/release-hold")
class DisputeReleaseHold(MethodView):
    @checked(require_staff)
    @blp.response(200, DisputeEnvelopeSchema)
    @blp.alt_response(409, description="The dispute does not hold its order (never did, or released already)")
    @blp.doc(security=BEARER_SECURITY)
    def post(self, dispute_id):
        """Release the hold a dispute put on its order: the order continues unless something else holds it (staff)."""
        dispute, released = orders.release_dispute_hold(dispute_id, require_staff())
        return ok(orders.dispute_view(dispute), orderReleased=released,
                  message="Order released" if released else "Hold released; the order stays on hold for another "
                                                            "dispute or a fraud review")
