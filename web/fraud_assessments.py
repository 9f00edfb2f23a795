"""Fraud assessments (admin): an order's latest fraud scoring, and the assessment schemas."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from services import fraud
from web.schemas import ok
from web.security import BEARER_SECURITY, checked, require_admin

blp = Blueprint("fraud_assessments", __name__, url_prefix="/api/v1/admin/fraud",
                description="Admin: fraud assessments of orders")


class TopFeatureSchema(ma.Schema):
    feature = ma.fields.String()
    value = ma.fields.Raw(allow_none=True)
    contribution = ma.fields.Float(metadata={"description": "drop in probability when the feature is set to "
                                                            "its training median"})


class FraudAssessmentSchema(ma.Schema):
    """One scoring of an order."""

    id = ma.fields.String()
    orderId = ma.fields.String()
    jobId = ma.fields.String(allow_none=True)
    modelVersionId = ma.fields.String(allow_none=True)
    probability = ma.fields.Float(allow_none=True, metadata={"description": "calibrated P(fraud)"})
    riskScore = ma.fields.Integer(allow_none=True, metadata={"description": "0-99; null when not assessed"})
    riskLevel = ma.fields.String(metadata={"description": "normal | elevated | highest | not_assessed"})
    decision = ma.fields.String(metadata={"description": "allow | review | block"})
    ruleId = ma.fields.String(allow_none=True)
    rule = ma.fields.String(allow_none=True, metadata={"description": "the rule that matched"})
    topFeatures = ma.fields.List(ma.fields.Nested(TopFeatureSchema))
    features = ma.fields.Dict()
    outcome = ma.fields.Dict()
    reviewStatus = ma.fields.String(allow_none=True, metadata={"description": "pending | approved | rejected"})
    reviewedBy = ma.fields.String(allow_none=True)
    reviewedAt = ma.fields.String(allow_none=True)
    createdAt = ma.fields.String()


class FraudAssessmentEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(FraudAssessmentSchema)
    message = ma.fields.String(metadata={"description": "what was done, on writes"})


@blp.route("/orders/<order:order_id>/assessment")
class FraudAssessmentByOrder(MethodView):
    @checked(require_admin)
    @blp.response(200, FraudAssessmentEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, order_id):
        """Get an order's latest fraud assessment."""
        return ok(fraud.assessment_to_dict(fraud.latest_assessment(order_id)))
