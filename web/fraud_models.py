"""The fraud model (admin): train on the labelled history (202 + `fraud_train` job on the `ml`
queue), list and read versions, activate one, roll back to the previous one."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from models.ml import MODEL_STATUSES
from services import fraud
from services.platform import model_registry
from web.jobview import documents_job, submit
from web.schemas import (CamelSchema, PaginationArgsSchema, PaginationSchema, StrictBoolean, StrictFloat,
                         StrictInteger, ok, pagination)
from web.security import BEARER_SECURITY, checked, require_admin

blp = Blueprint("fraud_models", __name__, url_prefix="/api/v1/admin/ml/fraud",
                description="Admin: fraud model training, versions, activation and rollback")


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
    message = ma.fields.String(metadata={"description": "what was done, on writes"})


class FraudModelVersionListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(FraudModelVersionSchema))
    pagination = ma.fields.Nested(PaginationSchema)


class FraudModelVersionQueryArgsSchema(PaginationArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(MODEL_STATUSES))


class FraudTrainSchema(CamelSchema):
    """Training settings; all optional."""

    min_age_days = StrictInteger(load_default=0, validate=validate.Range(min=0, max=365),
                                 metadata={"description": "skip orders younger than this (chargebacks still to come)"})
    auto_activate = StrictBoolean(load_default=True,
                                      metadata={"description": "activate unless worse than the active model"})
    learning_rate = StrictFloat(validate=validate.Range(min=0.001, max=1.0))
    max_iter = StrictInteger(validate=validate.Range(min=10, max=2000))
    max_leaf_nodes = StrictInteger(validate=validate.Range(min=2, max=255))
    min_samples_leaf = StrictInteger(validate=validate.Range(min=1, max=10000))
    l2_regularization = StrictFloat(validate=validate.Range(min=0.0, max=1000.0))


@blp.route("/train")
class FraudTrain(MethodView):
    @checked(require_admin)
    @blp.arguments(FraudTrainSchema, required=False)  # no body: the default settings
    @documents_job(blp, "fraud_train job accepted; poll Location")
    def post(self, body):
        """Train a fraud model on the labelled history (202 + `fraud_train` job on the `ml` queue)."""
        admin = require_admin()
        return submit(lambda: fraud.start_training(admin, body))


@blp.route("/models")
class FraudModels(MethodView):
    @checked(require_admin)
    @blp.arguments(FraudModelVersionQueryArgsSchema, location="query")
    @blp.response(200, FraudModelVersionListSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, args):
        """List fraud model versions, newest first."""
        rows, total = model_registry.list_versions(fraud.KIND, args.get("status"), args["page"], args["limit"])
        return ok([model_registry.to_dict(v) for v in rows], pagination=pagination(args["page"], args["limit"], total))


@blp.route("/models/<id(mdl):version_id>")
class FraudModelById(MethodView):
    @checked(require_admin)
    @blp.response(200, FraudModelVersionEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def get(self, version_id):
        """Get a fraud model version (metrics, features, artifact hash, training window)."""
        return ok(model_registry.to_dict(model_registry.get_version(version_id, fraud.KIND)))


@blp.route("/models/<id(mdl):version_id>/activate")
class FraudModelActivate(MethodView):
    @checked(require_admin)
    @blp.response(200, FraudModelVersionEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    def post(self, version_id):
        """Activate a fraud model version (the active one is retired)."""
        admin = require_admin()
        version = model_registry.activate(version_id, fraud.KIND, note=f"activated by {admin.id}")
        return ok(model_registry.to_dict(version), message="Model activated")


@blp.route("/rollback")
class FraudModelRollback(MethodView):
    @checked(require_admin)
    @blp.response(200, FraudModelVersionEnvelopeSchema)
    @blp.alt_response(409, description="No active model, or nothing to roll back to")
    @blp.doc(security=BEARER_SECURITY)
    def post(self):
        """Roll back to the fraud model that was active before the current one."""
        return ok(model_registry.to_dict(model_registry.rollback(fraud.KIND)), message="Rolled back")
