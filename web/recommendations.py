"""Recommendations: admin training (202 + `recommendations_train` job), the serving run's
model status, the homepage sections, and the recommendation list schemas.

Serving only reads rows precomputed by the last training run (see
services.recommendations); before the first run, popular and trending lists
are computed from orders on the fly. The product lists (`/products/trending`,
`/products/recommendations`, `/products/{id}/related`) are web.product_recommendations.
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from services import recommendations
from services.recommendations import MAX_LIMIT, OPTION_FIELDS, Scored
from web.jobview import documents_job, submit
from web.products import ProductSchema, product_to_dict
from web.schemas import CamelSchema, StrictFloat, StrictInteger, camelcase, ok
from web.security import BEARER_SECURITY, OPTIONAL_BEARER_SECURITY, checked, current_user, require_admin

blp = Blueprint("recommendations", __name__, url_prefix="/api/v1",
                description="Recommendations: related, personal, trending, homepage; training (admin)")


def scored_to_dict(item: Scored) -> dict:
    """A product (seed 004 list shape) with `recommendation: {"score", "rank"}`."""
    return dict(product_to_dict(item.view), recommendation={"score": round(item.score, 6), "rank": item.rank})


class LimitArgsSchema(CamelSchema):
    limit = ma.fields.Integer(load_default=10, validate=validate.Range(min=1, max=MAX_LIMIT))


class HomepageArgsSchema(CamelSchema):
    limit = ma.fields.Integer(load_default=8, validate=validate.Range(min=1, max=20),
                              metadata={"description": "products per section"})


class TrainOptionsSchema(CamelSchema):
    """Optional training settings (defaults in the README)."""

    half_life_days = StrictFloat(validate=validate.Range(*OPTION_FIELDS["halfLifeDays"][1:]),
                                     metadata={"description": "recency half-life of interactions, days (90)"})
    test_fraction = StrictFloat(validate=validate.Range(*OPTION_FIELDS["testFraction"][1:]),
                                    metadata={"description": "share of the newest events held out (0.2)"})
    related_per_product = StrictInteger(validate=validate.Range(*OPTION_FIELDS["relatedPerProduct"][1:]))
    recommendations_per_user = StrictInteger(validate=validate.Range(*OPTION_FIELDS["recommendationsPerUser"][1:]))
    active_days = StrictFloat(validate=validate.Range(*OPTION_FIELDS["activeDays"][1:]),
                                  metadata={"description": "customers active this recently get lists (90)"})
    trending_days = StrictFloat(validate=validate.Range(*OPTION_FIELDS["trendingDays"][1:]))
    trending_half_life_days = StrictFloat(validate=validate.Range(*OPTION_FIELDS["trendingHalfLifeDays"][1:]))


class TrainSchema(CamelSchema):
    options = ma.fields.Nested(TrainOptionsSchema, load_default=dict)


class RecommendationInfoSchema(ma.Schema):
    score = ma.fields.Float(metadata={"description": "model score (on-the-fly lists: units sold, decayed)"})
    rank = ma.fields.Integer()


class RecommendedProductSchema(ProductSchema):
    recommendation = ma.fields.Nested(RecommendationInfoSchema)


class RecommendationMetaSchema(ma.Schema):
    source = ma.fields.String(metadata={"description": "model | on_the_fly | popular | popular_fallback"})
    runId = ma.fields.String(allow_none=True)
    modelVersionId = ma.fields.String(allow_none=True)
    trainedAt = ma.fields.String(allow_none=True)


class RecommendationListSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(RecommendedProductSchema))
    meta = ma.fields.Nested(RecommendationMetaSchema)


class HomepageSectionSchema(ma.Schema):
    key = ma.fields.String(metadata={"description": "for_you | trending | new_arrivals | popular"})
    title = ma.fields.String()
    source = ma.fields.String()
    products = ma.fields.List(ma.fields.Nested(RecommendedProductSchema))


class HomepageSchema(ma.Schema):
    sections = ma.fields.List(ma.fields.Nested(HomepageSectionSchema))


class HomepageEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(HomepageSchema)


class ModelStatusEnvelopeSchema(ma.Schema):
    data = ma.fields.Dict(metadata={"description": "activeRun {runId, metrics, counts...}, personalRunId, "
                                                   "activeModelVersionId"})


def listing(items, meta):
    """`{"data": [scored products], "meta": meta}` as a JSON response."""
    return ok([scored_to_dict(i) for i in items], meta=meta)


def _camel_options(options: dict) -> dict:
    return {camelcase(k): v for k, v in options.items()}


@blp.route("/recommendations/train")
class RecommendationTraining(MethodView):
    @documents_job(blp, "Training job accepted; poll Location. Its result has "
                                                      "runId, modelVersionId, servedModel, personalized, metrics")
    @checked(require_admin)
    @blp.arguments(TrainSchema, required=False)  # no body: the default options
    def post(self, body):
        """Train recommendations from orders, carts, wishlists and reviews (admin; ml job)."""
        admin = require_admin()
        options = _camel_options(body.get("options") or {})
        return submit(lambda: recommendations.start_training(admin.id, options))


@blp.route("/recommendations/model")
class RecommendationModel(MethodView):
    @blp.response(200, ModelStatusEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_admin)
    def get(self):
        """Show the serving run's metrics and the active registry version (admin)."""
        return ok(recommendations.model_status())


@blp.route("/homepage/recommendations")
class HomepageRecommendations(MethodView):
    @blp.arguments(HomepageArgsSchema, location="query")
    @blp.response(200, HomepageEnvelopeSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def get(self, args):
        """Homepage sections (seed 002): for you (signed in), trending, new arrivals, popular."""
        sections = recommendations.homepage(current_user(), args["limit"])
        return ok({"sections": [{"key": s["key"], "title": s["title"], "source": s["source"],
                                 "products": [scored_to_dict(i) for i in s["items"]]} for s in sections]})
