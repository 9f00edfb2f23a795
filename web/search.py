"""Search suggestions, saved searches and popular searches (seed 001's `/search/...`).

- `GET /search/autocomplete?q=ro&limit=5`: products (name starts with it, then a name word does),
  categories and popular queries starting with `q` (services.catalog.autocomplete); public, served
  through the catalog cache (web.cache) like the other catalog reads: a catalog write refreshes
  it at once, newly saved searches show in its `queries` within `CATALOG_CACHE_SECONDS`;
- `POST /search/save` `{"q", "filters"}`: record a search the caller ran in their history
  and in the popular-search rollup (201); signed-in users only (401 for guests);
- `GET /search/history`: the caller's saved searches, newest first, paginated;
  `DELETE /search/history` clears them (the popular counts stay: they are anonymous);
- `GET /search/popular?days=7&limit=10`: the most saved queries of the last `days` UTC days
  (a daily rollup, services.catalog.search_history); public.
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import validate

from models.db import isoformat
from services import catalog
from web.cache import cached_get
from web.schemas import CamelSchema, PaginationArgsSchema, PaginationSchema, ok, pagination
from web.security import BEARER_SECURITY, checked, require_user

blp = Blueprint("search", __name__, url_prefix="/api/v1/search", description="Search: suggestions and history")

MAX_SUGGESTIONS = 10
MAX_POPULAR_DAYS = 90


class AutocompleteArgsSchema(CamelSchema):
    q = ma.fields.String(required=True, validate=validate.Length(min=1, max=100),
                         metadata={"description": "what the shopper typed so far"})
    limit = ma.fields.Integer(load_default=5, validate=validate.Range(min=1, max=MAX_SUGGESTIONS),
                              metadata={"description": "suggestions of each kind"})


class ProductSuggestionSchema(CamelSchema):
    id = ma.fields.String()
    name = ma.fields.String()
    handle = ma.fields.String()
    price = ma.fields.Integer(metadata={"description": "minor units (cheapest variant)"})
    currency = ma.fields.String()


class CategorySuggestionSchema(CamelSchema):
    id = ma.fields.String()
    slug = ma.fields.String()
    name = ma.fields.String()


class PopularQuerySchema(CamelSchema):
    query = ma.fields.String(metadata={"description": "normalised: lower case, single spaces"})
    count = ma.fields.Integer(metadata={"description": "saves over the period"})


class SuggestionsSchema(CamelSchema):
    products = ma.fields.List(ma.fields.Nested(ProductSuggestionSchema))
    categories = ma.fields.List(ma.fields.Nested(CategorySuggestionSchema))
    queries = ma.fields.List(ma.fields.Nested(PopularQuerySchema))


class SuggestionsEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(SuggestionsSchema)


class SearchSaveSchema(CamelSchema):
    """A search to save: `q` as the search routes take it (a body field named `query` would be
    reported as the query string by web.errors), and the filters it ran with."""

    q = ma.fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={"description": "search text"})
    filters = ma.fields.Dict(keys=ma.fields.String(validate=validate.Length(min=1, max=50)),
                             values=ma.fields.Raw(), validate=validate.Length(max=30),
                             metadata={"description": "the search's filters (query parameter -> value), kept as given"})


class SavedSearchSchema(CamelSchema):
    id = ma.fields.String()
    query = ma.fields.String()
    normalized_query = ma.fields.String()
    filters = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw())
    created_at = ma.fields.String()


class SavedSearchEnvelopeSchema(ma.Schema):
    data = ma.fields.Nested(SavedSearchSchema)
    message = ma.fields.String()


class SearchHistorySchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(SavedSearchSchema))
    pagination = ma.fields.Nested(PaginationSchema)


class ClearedSchema(ma.Schema):
    data = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                          metadata={"description": '{"deleted": n}'})
    message = ma.fields.String()


class PopularArgsSchema(CamelSchema):
    days = ma.fields.Integer(load_default=7, validate=validate.Range(min=1, max=MAX_POPULAR_DAYS),
                             metadata={"description": "UTC days counted, today included"})
    limit = ma.fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))


class PopularSchema(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(PopularQuerySchema))


def _saved(row) -> dict:
    return {"id": row.id, "query": row.query, "normalizedQuery": row.normalized, "filters": row.filters or {},
            "createdAt": isoformat(row.created_at)}


@blp.route("/autocomplete")
class Autocomplete(MethodView):
    @blp.arguments(AutocompleteArgsSchema(), location="query")
    @blp.response(200, SuggestionsEnvelopeSchema)
    @blp.alt_response(304, description="Not modified (If-None-Match matched the ETag)")
    @cached_get
    def get(self, args):
        """Suggest products, categories and popular queries for a prefix."""
        return ok(catalog.autocomplete(args["q"], args["limit"]))


@blp.route("/save")
class SaveSearch(MethodView):
    @blp.response(201, SavedSearchEnvelopeSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    @blp.arguments(SearchSaveSchema)
    def post(self, body):
        """Save a search in my history (and the popular searches)."""
        row = catalog.save_search(require_user(), body["q"], body.get("filters"))
        return ok(_saved(row), 201, message="Search saved")


@blp.route("/history")
class SearchHistory(MethodView):
    @blp.response(200, SearchHistorySchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    @blp.arguments(PaginationArgsSchema(), location="query")
    def get(self, args):
        """List my saved searches, newest first."""
        rows, total = catalog.search_history(require_user(), args["page"], args["limit"])
        return ok([_saved(r) for r in rows], pagination=pagination(args["page"], args["limit"], total))

    @blp.response(200, ClearedSchema)
    @blp.doc(security=BEARER_SECURITY)
    @checked(require_user)
    def delete(self):
        """Clear my search history."""
        deleted = catalog.clear_history(require_user())
        return ok({"deleted": deleted}, message="Search history cleared")


@blp.route("/popular")
class PopularSearches(MethodView):
    @blp.arguments(PopularArgsSchema(), location="query")
    @blp.response(200, PopularSchema)
    def get(self, args):
        """List the most saved searches of the last days."""
        return ok(catalog.popular_searches(days=args["days"], limit=args["limit"]))
