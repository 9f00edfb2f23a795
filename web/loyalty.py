"""Loyalty points (seeds 000, 001, 003): the caller's points, tier and ledger, the tiers, and
redeeming points for a reward code.

- `GET /api/v1/loyalty` (signed in): balance, tier, lifetime earned, the 20 latest lines;
- `GET /api/v1/loyalty/points` (signed in): `{points, tier, multiplier, lifetimeEarned, nextTier, expiresAt}`;
- `GET /api/v1/loyalty/history` (signed in): the ledger, newest first, paginated;
- `GET /api/v1/loyalty/tiers` (anyone): the active tiers by minPoints (admins: every tier);
- `POST /api/v1/loyalty/tiers`, `PUT|DELETE /api/v1/loyalty/tiers/{tierId}` (admin,
  `loyalty:admin`): each also writes the `maintenance` job recomputing every customer's tier,
  answered as `recalculationJob`;
- `POST /api/v1/loyalty/redeem` `{points}` (signed in): 201 with a personal single-use reward code.

Rules are services.loyalty's (tiers, ledger, redemption, expiry).
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import loyalty
from web.jobview import job_to_dict
from web.permissions import allowed
from web.schemas import (CamelSchema, JobSchema, PaginationArgsSchema, PaginationSchema, StrictBoolean, StrictFloat,
                         StrictInteger, ok, pagination)
from web.security import BEARER_SECURITY, OPTIONAL_BEARER_SECURITY, checked, current_user, require_admin, require_user

blp = Blueprint("loyalty", __name__, url_prefix="/api/v1/loyalty", description="Loyalty points")


class LoyaltyTransactionSchema(ma.Schema):
    id = ma.fields.String()
    type = ma.fields.String(metadata={"description": "earn, redeem, adjust, expire or reverse"})
    points = ma.fields.Integer(metadata={"description": "signed: earn > 0; redeem, expire and reverse < 0"})
    balanceAfter = ma.fields.Integer()
    description = ma.fields.String()
    orderId = ma.fields.String(allow_none=True)
    createdAt = ma.fields.String()


class LoyaltySchema(ma.Schema):
    """Points: 1 per whole currency unit of a paid order's subtotal after discounts, times the tier multiplier."""

    userId = ma.fields.String()
    balance = ma.fields.Integer()
    tier = ma.fields.String()
    lifetimeEarned = ma.fields.Integer()
    lastActivityAt = ma.fields.String(allow_none=True)
    transactions = ma.fields.List(ma.fields.Nested(LoyaltyTransactionSchema),
                                  metadata={"description": "the 20 most recent, newest first"})


class LoyaltyEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(LoyaltySchema)


class LoyaltyTransactionListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(LoyaltyTransactionSchema))
    pagination = ma.fields.Nested(PaginationSchema)


class NextTierSchema(ma.Schema):
    name = ma.fields.String()
    minPoints = ma.fields.Integer()
    pointsNeeded = ma.fields.Integer(metadata={"description": "lifetime points still to earn"})


class LoyaltyPointsSchema(ma.Schema):
    points = ma.fields.Integer(metadata={"description": "the balance"})
    tier = ma.fields.String()
    multiplier = ma.fields.Float(metadata={"description": "the tier's purchase earning multiplier"})
    lifetimeEarned = ma.fields.Integer()
    nextTier = ma.fields.Nested(NextTierSchema, allow_none=True, metadata={"description": "null at the top tier"})
    expiresAt = ma.fields.String(allow_none=True, metadata={
        "description": "when the balance expires without an earn or redemption before; null without points"})


class LoyaltyPointsEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(LoyaltyPointsSchema)


class TierSchema(ma.Schema):
    id = ma.fields.String()
    name = ma.fields.String()
    minPoints = ma.fields.Integer(metadata={"description": "lifetime points earned that reach the tier"})
    multiplier = ma.fields.Float(metadata={"description": "purchase points multiplier, 1.0-10.0"})
    benefits = ma.fields.List(ma.fields.String())
    isActive = ma.fields.Boolean()
    createdAt = ma.fields.String()
    updatedAt = ma.fields.String()


class TierListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(TierSchema))


class TierWriteEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(TierSchema)
    recalculationJob = ma.fields.Nested(JobSchema, metadata={"description": "recomputes every customer's tier"})


class TierDeletedSchema(ma.Schema):
    message = ma.fields.String()
    recalculationJob = ma.fields.Nested(JobSchema)


class TierUpdateSchema(CamelSchema):
    """The fields of a tier a write sets (services.loyalty.tiers' names: name, min_points, ...)."""

    name = ma.fields.String(validate=validate.Length(min=1, max=30),
                            metadata={"description": "a lower-case slug: bronze, silver, gold, platinum..."})
    min_points = StrictInteger(validate=validate.Range(min=0, max=100_000_000))
    multiplier = StrictFloat(metadata={"description": "1.0-10.0, at most 3 decimals"})
    benefits = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=200)),
                              validate=validate.Length(max=20))
    is_active = StrictBoolean()


class TierInputSchema(TierUpdateSchema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=30),
                            metadata={"description": "a lower-case slug: bronze, silver, gold, platinum..."})
    min_points = StrictInteger(required=True, validate=validate.Range(min=0, max=100_000_000))


class RedeemSchema(CamelSchema):
    points = StrictInteger(required=True, metadata={
        "description": f"at least {loyalty.MIN_REDEEM_POINTS}, in multiples of {loyalty.REDEEM_STEP}, "
                       f"at most {loyalty.MAX_REDEEM_POINTS} and the balance"})


class RewardSchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "a personal single-use promotion code, RWD-XXXXXXXX"})
    value = ma.fields.Integer(metadata={"description": "minor units"})
    currency = ma.fields.String()
    points = ma.fields.Integer(metadata={"description": "points spent"})
    balance = ma.fields.Integer(metadata={"description": "points left"})
    expiresAt = ma.fields.String()


class RewardEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(RewardSchema)


@blp.route("")
class Loyalty(MethodView):
    @blp.response(200, LoyaltyEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self):
        """Get my loyalty points balance and recent transactions."""
        return ok(loyalty.summary_view(require_user()))


@blp.route("/points")
class LoyaltyPoints(MethodView):
    @blp.response(200, LoyaltyPointsEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self):
        """Get my loyalty points, tier, next tier and expiry date."""
        return ok(loyalty.points_view(require_user()))


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


@blp.route("/tiers")
class LoyaltyTiers(MethodView):
    @blp.response(200, TierListSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def get(self):
        """List the loyalty tiers and their benefits (admins: inactive ones too)."""
        user = current_user()
        everything = user is not None and allowed(user, "loyalty:admin")
        return ok([loyalty.tier_view(t) for t in loyalty.list_tiers(include_inactive=everything)])

    @checked(require_admin)
    @blp.arguments(TierInputSchema)
    @blp.response(201, TierWriteEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, body):
        """Create a loyalty tier (admin)."""
        tier, job = loyalty.create_tier(body, require_admin().id)
        return ok(loyalty.tier_view(tier), 201, recalculationJob=job_to_dict(job))


@blp.route("/tiers/<id(tier):tier_id>")
class LoyaltyTierById(MethodView):
    @checked(require_admin)
    @blp.arguments(TierUpdateSchema)
    @blp.response(200, TierWriteEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def put(self, body, tier_id):
        """Change a loyalty tier's fields (admin)."""
        tier, job = loyalty.update_tier(tier_id, body, require_admin().id)
        return ok(loyalty.tier_view(tier), recalculationJob=job_to_dict(job))

    @checked(require_admin)
    @blp.response(200, TierDeletedSchema)
    @blp.doc(security=BEARER_SECURITY)
    def delete(self, tier_id):
        """Delete a loyalty tier other than bronze (admin)."""
        job = loyalty.delete_tier(tier_id, require_admin().id)
        return {"message": "Loyalty tier deleted", "recalculationJob": job_to_dict(job)}


@blp.route("/redeem")
class LoyaltyRedeem(MethodView):
    @checked(require_user)
    @blp.arguments(RedeemSchema)
    @blp.response(201, RewardEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, body):
        """Redeem points for a single-use discount code on my next order."""
        return ok(loyalty.redeem_points(require_user(), body["points"]), 201)
