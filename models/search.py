"""Search: saved searches per user, the daily rollup behind popular searches, and (SQLite only)
the FTS5 full-text index of the catalog.

- `SearchLog`: one search a signed-in user saved (`POST /api/v1/search/save`): the query as
  typed, its normalised form (lower case, whitespace collapsed: services.catalog.search_history)
  and the filters it ran with. A user's history is their rows, newest first; clearing deletes them.
- `SearchQueryDay`: how many times each normalised query was saved per UTC day; the popular
  searches (`GET /api/v1/search/popular`) and the popular-query suggestions of autocomplete sum
  it over the last days. It is an anonymous aggregate: clearing a history does not change it.
- `ProductSearchEntry`: the SQLite FTS5 virtual table `product_search` (columns name, tags (tags,
  vendor and product type), body (the description) and the product id, unindexed), filled by
  triggers on `product` (migration 0020). It derives from peewee's FTS5Model, not BaseModel, so
  `models.ALL_MODELS` (create/truncate) never sees it; PostgreSQL has no such table: there the
  index is the generated `product.search_vector` tsvector column (services.catalog.search_index).
"""

import peewee
from playhouse.sqlite_ext import FTS5Model, RowIDField, SearchField

from models.db import BaseModel, JSONField, PrefixedIdField, database, utcnow
from models.users import User

MAX_QUERY_LENGTH = 200  # characters of a search query


class SearchLog(BaseModel):
    """A saved search: `query` as typed (<= 200 characters), `normalized` (lower case, single
    spaces), `filters` (the advanced search's query parameters, camelCase keys), `created_at` UTC."""

    id = PrefixedIdField("srch")
    user = peewee.ForeignKeyField(User, backref="searches", on_delete="CASCADE")
    query = peewee.CharField(max_length=MAX_QUERY_LENGTH)
    normalized = peewee.CharField(max_length=MAX_QUERY_LENGTH)
    filters = JSONField(default=dict)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "search_log"
        indexes = ((("user", "created_at"), False),)


class SearchQueryDay(BaseModel):
    """Saves of one normalised query on one UTC `day` (the popular-searches rollup)."""

    normalized = peewee.CharField(max_length=MAX_QUERY_LENGTH)
    day = peewee.DateField()
    searches = peewee.IntegerField(default=0)

    class Meta:
        table_name = "search_query_day"
        primary_key = peewee.CompositeKey("normalized", "day")
        indexes = ((("day", "normalized"), False),)


class ProductSearchEntry(FTS5Model):
    """One product's row of the SQLite full-text index (see the module docstring)."""

    rowid = RowIDField()
    name = SearchField()
    tags = SearchField()
    body = SearchField()
    product_id = SearchField(unindexed=True)

    class Meta:
        database = database
        table_name = "product_search"
        options = {"tokenize": "porter unicode61 remove_diacritics 2", "prefix": "2 3"}
