"""Fraud: admin rules, review queue, assessments and the fraud model (train, versions, activate, rollback).

Admin only (403 for anyone else). Rules use Stripe Radar's syntax
(`block if risk_score >= 75`; see ml.fraud.rules) and are evaluated in
`position` order, first match wins; a rule that does not parse is 422.
Also `client_ip()`, the checkout's client-IP policy, and the CLI command
`flask --app web fraud demo-history` that writes the SYNTHETIC demo history.
"""

from __future__ import annotations

import ipaddress

import click
import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from models.ml import MODEL_STATUSES
from services import fraud, orders
from services.platform import model_registry
from web.jobview import documents_job, submit
from web.schemas import CamelSchema, PaginationArgsSchema, PaginationSchema, StrictInteger, ok, pagination
from web.security import BEARER_SECURITY, checked, require_admin

blp = Blueprint("fraud", __name__, url_prefix="/api/v1/admin/fraud",
                description="Admin: fraud rules, review queue and order assessments")
admin_blp = Blueprint("fraud_models", __name__, url_prefix="/api/v1/admin/ml/fraud",
                      description="Admin: fraud model training, versions, activation and rollback")


class StrictFloat(ma.fields.Float):
    """A JSON number (no strings, no booleans)."""

    def _validated(self, value):
        if isinstance(value, (str, bool)):
            raise self.make_error("invalid")
        return super()._validated(value)


# -- schemas -------------------------------------------------------------------------------------

class FraudRuleSchema(ma.Schema):
    """An ordered fraud rule."""

    id = ma.fields.String()
    position = ma.fields.Integer(metadata={"description": "0-based evaluation order"})
    action = ma.fields.String(metadata={"description": "allow | review | block"})
    condition = ma.fields.String(metadata={"description": "canonical condition text after `if`"})
    rule = ma.fields.String(metadata={"description": "the whole rule, e.g. `block if risk_score >= 75`"})
    description = ma.fields.String()
    enabled = ma.fields.Boolean()
    createdAt = ma.fields.String()
    updatedAt = ma.fields.String()


class FraudRuleEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(FraudRuleSchema)


class FraudRuleListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(FraudRuleSchema))
    defaultsInEffect = ma.fields.Boolean(metadata={"description": "true while no rule is stored: the built-in "
                                                                  "defaults apply"})
    defaults = ma.fields.List(ma.fields.String())


class FraudRuleCreateSchema(CamelSchema):
    rule = ma.fields.String(required=True, validate=validate.Length(min=1, max=500),
                            metadata={"description": "`<allow|review|block> if <condition>`"})
    description = ma.fields.String(load_default="", validate=validate.Length(max=500))
    enabled = ma.fields.Boolean(load_default=True)
    position = StrictInteger(load_default=None, allow_none=True, validate=validate.Range(min=0, max=10000),
                             metadata={"description": "0-based; default: last"})


class FraudRuleUpdateSchema(CamelSchema):
    rule = ma.fields.String(validate=validate.Length(min=1, max=500))
    description = ma.fields.String(validate=validate.Length(max=500))
    enabled = ma.fields.Boolean()

    @ma.validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("Give at least one of rule, description, enabled", "_schema")


class FraudRuleReorderSchema(CamelSchema):
    rule_ids = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=40)), required=True,
                              validate=validate.Length(max=1000))


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


class FraudReviewItemSchema(ma.Schema):
    order = ma.fields.Dict(metadata={"description": "the order (GET /api/v1/orders/{id} shape)"})
    assessment = ma.fields.Nested(FraudAssessmentSchema)


class FraudReviewListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(FraudReviewItemSchema))
    pagination = ma.fields.Nested(PaginationSchema)


class FraudModelVersionSchema(ma.Schema):
    """A registered model version."""

    id = ma.fields.String()
    kind = ma.fields.String()
    version = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "candidate | active | retired | rejected"})
    metrics = ma.fields.Dict()
    features = ma.fields.List(ma.fields.Raw())
    schemaHash = ma.fields.String()
    artifactSha256 = ma.fields.String()
    libraryVersions = ma.fields.Dict()
    trainingWindow = ma.fields.Dict()
    params = ma.fields.Dict()
    previousVersionId = ma.fields.String(allow_none=True)
    notes = ma.fields.String()
    createdAt = ma.fields.String()
    activatedAt = ma.fields.String(allow_none=True)


class FraudModelVersionEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(FraudModelVersionSchema)


class FraudModelVersionListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(FraudModelVersionSchema))
    pagination = ma.fields.Nested(PaginationSchema)


class FraudModelVersionQueryArgsSchema(PaginationArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(MODEL_STATUSES))


class FraudTrainSchema(CamelSchema):
    """Training settings; all optional."""

    min_age_days = StrictInteger(load_default=0, validate=validate.Range(min=0, max=365),
                                 metadata={"description": "skip orders younger than this (chargebacks still to come)"})
    auto_activate = ma.fields.Boolean(load_default=True,
                                      metadata={"description": "activate unless worse than the active model"})
    learning_rate = StrictFloat(validate=validate.Range(min=0.001, max=1.0))
    max_iter = StrictInteger(validate=validate.Range(min=10, max=2000))
    max_leaf_nodes = StrictInteger(validate=validate.Range(min=2, max=255))
    min_samples_leaf = StrictInteger(validate=validate.Range(min=1, max=10000))
    l2_regularization = StrictFloat(validate=validate.Range(min=0.0, max=1000.0))


# -- rules ---------------------------------------------------------------------------------------

@blp.route("/rules")
class FraudRules(MethodView):
    @checked(require_admin)
    @blp.response(200, FraudRuleListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self):
        """List the fraud rules in evaluation order (first match decides)."""
        rules = fraud.list_rules()
        return ok([fraud.rule_to_dict(r) for r in rules], defaultsInEffect=not rules,
                  defaults=[f"{a} if {c}" for a, c, _ in fraud.DEFAULT_RULES])

    @checked(require_admin)
    @blp.arguments(FraudRuleCreateSchema)
    @blp.response(201, FraudRuleEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, body):
        """Create a rule (Radar syntax, e.g. `review if amount > 50000 and is_new_customer`)."""
        rule = fraud.create_rule(body["rule"], body["description"], body["enabled"], body["position"])
        return ok(fraud.rule_to_dict(rule), 201, message="Rule created")


@blp.route("/rules/reorder")
class FraudRulesReorder(MethodView):
    @checked(require_admin)
    @blp.arguments(FraudRuleReorderSchema)
    @blp.response(200, FraudRuleListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, body):
        """Set the evaluation order: every rule id exactly once."""
        rules = fraud.reorder_rules(body["rule_ids"])
        return ok([fraud.rule_to_dict(r) for r in rules], defaultsInEffect=not rules,
                  defaults=[f"{a} if {c}" for a, c, _ in fraud.DEFAULT_RULES])


@blp.route("/rules/<string:rule_id>")
class FraudRuleById(MethodView):
    @checked(require_admin)
    @blp.response(200, FraudRuleEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, rule_id):
        """Get a rule."""
        return ok(fraud.rule_to_dict(fraud.get_rule(rule_id)))

    @checked(require_admin)
    @blp.arguments(FraudRuleUpdateSchema)
    @blp.response(200, FraudRuleEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def patch(self, body, rule_id):
        """Change a rule's text, description or enabled flag."""
        rule = fraud.update_rule(rule_id, body.get("rule"), body.get("description"), body.get("enabled"))
        return ok(fraud.rule_to_dict(rule))

    @checked(require_admin)
    @blp.response(204)
    @blp.doc(security=BEARER_SECURITY)
    def delete(self, rule_id):
        """Delete a rule (with no rule left, the built-in defaults apply)."""
        fraud.delete_rule(rule_id)
        return "", 204


# -- review queue and assessments ----------------------------------------------------------------

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


@blp.route("/reviews/<string:order_id>/approve")
class FraudReviewApprove(MethodView):
    @checked(require_admin)
    @blp.response(200, FraudAssessmentEnvelopeSchema)
    @blp.alt_response(409, description="The order is not awaiting a review")
    @blp.doc(security=BEARER_SECURITY)
    def post(self, order_id):
        """Approve a held order: the hold is released and the order continues (a non-fraud label)."""
        admin = require_admin()
        return ok(fraud.assessment_to_dict(fraud.approve(order_id, admin)), message="Order released")


@blp.route("/reviews/<string:order_id>/reject")
class FraudReviewReject(MethodView):
    @checked(require_admin)
    @blp.response(200, FraudAssessmentEnvelopeSchema)
    @blp.alt_response(409, description="The order is not awaiting a review")
    @blp.doc(security=BEARER_SECURITY)
    def post(self, order_id):
        """Reject a held order as fraud: cancelled, stock released, payment voided or refunded (a fraud label)."""
        admin = require_admin()
        return ok(fraud.assessment_to_dict(fraud.reject(order_id, admin)), message="Order cancelled as fraud")


@blp.route("/orders/<string:order_id>/assessment")
class FraudAssessmentByOrder(MethodView):
    @checked(require_admin)
    @blp.response(200, FraudAssessmentEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, order_id):
        """Get an order's latest fraud assessment."""
        return ok(fraud.assessment_to_dict(fraud.latest_assessment(order_id)))


# -- the model -----------------------------------------------------------------------------------

@admin_blp.route("/train")
class FraudTrain(MethodView):
    @checked(require_admin)
    @admin_blp.arguments(FraudTrainSchema)
    @documents_job(admin_blp, "fraud_train job accepted; poll Location")
    def post(self, body):
        """Train a fraud model on the labelled history (202 + `fraud_train` job on the `ml` queue)."""
        admin = require_admin()
        return submit(lambda: fraud.start_training(admin, body))


@admin_blp.route("/models")
class FraudModels(MethodView):
    @checked(require_admin)
    @admin_blp.arguments(FraudModelVersionQueryArgsSchema, location="query")
    @admin_blp.response(200, FraudModelVersionListSchema)
    @admin_blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """List fraud model versions, newest first."""
        rows, total = model_registry.list_versions(fraud.KIND, args.get("status"), args["page"], args["limit"])
        return ok([model_registry.to_dict(v) for v in rows], pagination=pagination(args["page"], args["limit"], total))


@admin_blp.route("/models/<string:version_id>")
class FraudModelById(MethodView):
    @checked(require_admin)
    @admin_blp.response(200, FraudModelVersionEnvelopeSchema)
    @admin_blp.doc(security=BEARER_SECURITY)
    def get(self, version_id):
        """Get a fraud model version (metrics, features, artifact hash, training window)."""
        return ok(model_registry.to_dict(model_registry.get_version(version_id, fraud.KIND)))


@admin_blp.route("/models/<string:version_id>/activate")
class FraudModelActivate(MethodView):
    @checked(require_admin)
    @admin_blp.response(200, FraudModelVersionEnvelopeSchema)
    @admin_blp.doc(security=BEARER_SECURITY)
    def post(self, version_id):
        """Activate a fraud model version (the active one is retired)."""
        admin = require_admin()
        version = model_registry.activate(version_id, fraud.KIND, note=f"activated by {admin.id}")
        return ok(model_registry.to_dict(version), message="Model activated")


@admin_blp.route("/rollback")
class FraudModelRollback(MethodView):
    @checked(require_admin)
    @admin_blp.response(200, FraudModelVersionEnvelopeSchema)
    @admin_blp.alt_response(409, description="No active model, or nothing to roll back to")
    @admin_blp.doc(security=BEARER_SECURITY)
    def post(self):
        """Roll back to the fraud model that was active before the current one."""
        return ok(model_registry.to_dict(model_registry.rollback(fraud.KIND)), message="Rolled back")


@blp.cli.command("demo-history")
@click.option("--customers", default=400, show_default=True, type=click.IntRange(10, 100_000))
@click.option("--days", default=120, show_default=True, type=click.IntRange(7, 3650))
@click.option("--seed", default=0, show_default=True, type=int)
def demo_history(customers, days, seed):
    """Write a SYNTHETIC labelled order history for the fraud demo (ml.fraud.synthetic)."""
    from models.db import database

    with database.connection_context():
        counts = fraud.generate_demo_history(customers, days, seed)
    click.echo(f"synthetic history: {counts['users']} users, {counts['orders']} orders, {counts['fraud']} labelled fraud")


def client_ip() -> str | None:
    """The checkout caller's IP address, for fraud scoring.

    Policy: `request.remote_addr` is the peer. When that peer is a private,
    loopback or link-local address (our own reverse proxy or load balancer, as in
    docker-compose), the rightmost `X-Forwarded-For` entry is used instead:
    it is the address our proxy saw, while entries further left are written by
    the client and can be forged. A public peer's `X-Forwarded-For` is ignored.
    Returns a normalised IPv4/IPv6 string or None when unknown/malformed.
    """
    peer = _parse_ip(request.remote_addr)
    if peer is not None and (peer.is_private or peer.is_loopback or peer.is_link_local):
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if forwarded:
            candidate = _parse_ip(forwarded[-1])
            if candidate is not None:
                return str(candidate)
    return str(peer) if peer is not None else None


def _parse_ip(value: str | None):
    if not value:
        return None
    try:
        return ipaddress.ip_address(value.strip()[:64])
    except ValueError:
        return None
