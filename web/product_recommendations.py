"""Product recommendation lists: trending products, the caller's recommendations and a
product's related products (precomputed by the last training run; see web.recommendations).

The static paths `/products/trending` and `/products/recommendations` take precedence over
the catalog's `/products/{id}` in Werkzeug's router (static parts outrank converters), so
they are never read as product ids.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from services import recommendations
from web.recommendations import LimitArgsSchema, RecommendationListSchema, listing
from web.security import OPTIONAL_BEARER_SECURITY, current_user

blp = Blueprint("product_recommendations", __name__, url_prefix="/api/v1/products",
                description="Product recommendations: trending, personal, related")


@blp.route("/trending")
class TrendingProducts(MethodView):
    @blp.arguments(LimitArgsSchema, location="query")
    @blp.response(200, RecommendationListSchema)
    def get(self, args):
        """Trending products (recency-decayed interactions of the last 30 days)."""
        return listing(*recommendations.trending(args["limit"]))


@blp.route("/recommendations")
class ProductRecommendations(MethodView):
    @blp.arguments(LimitArgsSchema, location="query")
    @blp.response(200, RecommendationListSchema)
    @blp.doc(security=OPTIONAL_BEARER_SECURITY)
    def get(self, args):
        """Recommendations for the caller (popular products for guests and new customers)."""
        return listing(*recommendations.for_user(current_user(), args["limit"]))


@blp.route("/<product:product_id>/related")
class RelatedProducts(MethodView):
    @blp.arguments(LimitArgsSchema, location="query")
    @blp.response(200, RecommendationListSchema)
    def get(self, args, product_id):
        """Products related to a product (bought and saved by the same customers)."""
        return listing(*recommendations.related(product_id, args["limit"]))
