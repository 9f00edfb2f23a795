"""Fraud rules (admin): ordered rules in Stripe Radar's syntax (`block if risk_score >= 75`; see
ml.fraud.rules), evaluated in `position` order, first match wins; a rule that does not parse is 422.
With no rule stored, the built-in defaults apply."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import fraud
from web.schemas import CamelSchema, StrictBoolean, StrictInteger, ok
from web.security import BEARER_SECURITY, checked, require_admin

blp = Blueprint("fraud_rules", __name__, url_prefix="/api/v1/admin/fraud", description="Admin: fraud rules")


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
    message = ma.fields.String(metadata={"description": "what was done, on writes"})


class FraudRuleListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(FraudRuleSchema))
    defaultsInEffect = ma.fields.Boolean(metadata={"description": "true while no rule is stored: the built-in "
                                                                  "defaults apply"})
    defaults = ma.fields.List(ma.fields.String())


class FraudRuleCreateSchema(CamelSchema):
    rule = ma.fields.String(required=True, validate=validate.Length(min=1, max=500),
                            metadata={"description": "`<allow|review|block> if <condition>`"})
    description = ma.fields.String(load_default="", validate=validate.Length(max=500))
    enabled = StrictBoolean(load_default=True)
    position = StrictInteger(load_default=None, allow_none=True, validate=validate.Range(min=0, max=10000),
                             metadata={"description": "0-based; default: last"})


class FraudRuleUpdateSchema(CamelSchema):
    rule = ma.fields.String(validate=validate.Length(min=1, max=500))
    description = ma.fields.String(validate=validate.Length(max=500))
    enabled = StrictBoolean()

    @ma.validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ma.ValidationError("Give at least one of rule, description, enabled", "_schema")


class FraudRuleReorderSchema(CamelSchema):
    rule_ids = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=40)), required=True,
                              validate=validate.Length(max=1000))


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


@blp.route("/rules/<id(frr):rule_id>")
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
