"""Loyalty points (seed 003, minimal): the caller's balance and ledger."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from services import loyalty
from web.schemas import PaginationArgsSchema, PaginationSchema, ok, pagination
from web.security import BEARER_SECURITY, checked, require_user

blp = Blueprint("loyalty", __name__, url_prefix="/api/v1/loyalty", description="Loyalty points")


class LoyaltyTransactionSchema(ma.Schema):
    id = ma.fields.String()
    type = ma.fields.String(metadata={"description": "earn, redeem or adjust"})
    points = ma.fields.Integer(metadata={"description": "signed: earn > 0, redeem < 0"})
    balanceAfter = ma.fields.Integer()
    description = ma.fields.String()
    orderId = ma.fields.String(allow_none=True)
    createdAt = ma.fields.String()


class LoyaltySchema(ma.Schema):
    """Points: 1 per whole currency unit of a paid order's subtotal after discounts."""

    userId = ma.fields.String()
    balance = ma.fields.Integer()
    lifetimeEarned = ma.fields.Integer()
    lastActivityAt = ma.fields.String(allow_none=True)
    transactions = ma.fields.List(ma.fields.Nested(LoyaltyTransactionSchema),
                                  metadata={"description": "the 20 most recent, newest first"})


class LoyaltyEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(LoyaltySchema)


class LoyaltyTransactionListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(LoyaltyTransactionSchema))
    pagination = ma.fields.Nested(PaginationSchema)


@blp.route("")
class Loyalty(MethodView):
    @blp.response(200, LoyaltyEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self):
        """Get my loyalty points balance and recent transactions."""
        return ok(loyalty.summary_view(require_user()))


@blp.route("/history")
class LoyaltyHistory(MethodView):
    @checked(require_user)
    @blp.arguments(PaginationArgsSchema, location="query")
    @blp.response(200, LoyaltyTransactionListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """List my loyalty points transactions, newest first."""
        rows, total = loyalty.transactions(require_user(), args["page"], args["limit"])
        return ok([loyalty.transaction_view(line) for line in rows],
                  pagination=pagination(args["page"], args["limit"], total))
