"""The backend-specific full-text SQL of product search (services.catalog.search uses it).

Both backends answer the same question: given a query, a subquery `(product_id, rank)` of the
products that match, a larger `rank` being a better match. The index itself is built by the
database (migration 0020), so every catalog write keeps it exact.

**PostgreSQL** (`english` configuration: stemming and English stop words, so "roses" finds
"Rose"): `product.search_vector` holds the name (weight A), tags + vendor + product type (B)
and the description without HTML (C). Every word of the query must match, the last ones by
prefix (`rose:*` also finds "rosemary"); rank = `ts_rank` of the prefix query + `ts_rank` of the
exact query (so exact words outrank prefixes), with PostgreSQL's default weights
{A: 1.0, B: 0.4, C: 0.2}: name > tags > description.
Typo tolerance (`fuzzy_match`): pg_trgm's `word_similarity` of the query to the lower-cased
name, products at or above WORD_SIMILARITY_THRESHOLD (0.5; pg_trgm's default 0.6 misses
"sunflwer"; set on the connection when the fallback runs) via the `<%` operator and the
trigram GIN index `product_name_trgm`.

**SQLite** (FTS5, embedded): table `product_search` with the porter stemmer; every word must
match as a prefix (`"rose"*`), and an exact word scores once more (`"rose"* OR "rose"`); rank = `-bm25(product_search, 10, 4, 1)` (column weights name 10,
tags 4, body 1). Typo tolerance: the trigram table `product_search_trigram` gives up to
`FUZZY_CANDIDATES` names sharing trigrams with the query; `trigram_similarity` (pg_trgm's
measure: shared / all distinct trigrams of two padded words) keeps those whose words are at
least `FUZZY_THRESHOLD` similar to each query word, ranked by the trigram table's bm25.
The SQLite body keeps HTML tag names (no regular expressions in SQL): a query for "strong"
may find a description's `<strong>`; PostgreSQL strips them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import peewee
from peewee import SQL, NodeList, fn

from models.catalog import Product
from models.db import database, is_postgres
from models.search import ProductSearchEntry

MAX_TERMS = 10  # words of a query that count
WORD = re.compile(r"[^\W_]+", re.UNICODE)
FUZZY_CANDIDATES = 500  # SQLite: names read from the trigram index for the similarity check
FUZZY_THRESHOLD = 0.4  # SQLite: least trigram similarity of a name word to each query word
WORD_SIMILARITY_THRESHOLD = 0.5  # PostgreSQL: pg_trgm.word_similarity_threshold of the `<%` operator
BM25_WEIGHTS = (10.0, 4.0, 1.0)  # SQLite: name, tags, body


@dataclass(frozen=True)
class Match:
    """What a query matches, as SQL to add to a query on Product (nothing executed).

    PostgreSQL: `condition` and `rank` are expressions on the queried product row itself (its
    `search_vector` or name), so the planner filters and ranks in one scan; `ranked`/`ids` are
    None. SQLite: `ranked` selects `(product_id, rank)` from the FTS table (join it to order by
    relevance) and `ids` the product ids (for `Product.id IN ...`); `condition`/`rank` are None.
    """

    ranked: peewee.SelectQuery | None = None
    ids: peewee.SelectQuery | None = None
    condition: peewee.Node | None = None
    rank: peewee.Node | None = None

    def restrict(self, query: peewee.SelectQuery) -> peewee.SelectQuery:
        """`query` (on Product) narrowed to the matching products."""
        if self.condition is not None:
            return query.where(self.condition)
        return query.where(Product.id.in_(self.ids))


class TsVectorField(peewee.Field):
    """`product.search_vector` (PostgreSQL only): bound to Product for SQL, never added to its
    fields, so the ORM never selects or writes it (it is a generated column)."""

    field_type = "TSVECTOR"


SEARCH_VECTOR = TsVectorField()
SEARCH_VECTOR.bind(Product, "search_vector", set_attribute=False)


def terms(query: str | None) -> list[str]:
    """The searchable words of `query`: lower-case runs of letters and digits, at most MAX_TERMS."""
    return WORD.findall((query or "").lower())[:MAX_TERMS]


class _TrigramEntry(peewee.Model):
    """SQLite's trigram FTS5 table of product names (migration 0020), read-only here."""

    name = peewee.TextField()
    product_id = peewee.TextField()

    class Meta:
        database = database
        table_name = "product_search_trigram"
        primary_key = False


def _tsquery(words: list[str], prefix: bool, every_word: bool = True) -> peewee.Node:
    text = (" & " if every_word else " | ").join(f"{w}:*" if prefix else w for w in words)
    return fn.to_tsquery(SQL("'english'"), text)


def text_match(query: str | None, every_word: bool = True) -> Match | None:
    """The Match of the products matching every word of `query` (any word when not
    `every_word`; prefixes included), or None when `query` has no searchable word. No SQL runs here."""
    words = terms(query)
    if not words:
        return None
    if is_postgres():
        prefixed = _tsquery(words, prefix=True, every_word=every_word)
        rank = fn.ts_rank(SEARCH_VECTOR, prefixed) + fn.ts_rank(SEARCH_VECTOR, _tsquery(words, False, every_word))
        return Match(condition=NodeList((SEARCH_VECTOR, SQL("@@"), prefixed)), rank=rank)
    expression = (" AND " if every_word else " OR ").join(f'("{w}"* OR "{w}")' for w in words)  # exact: twice
    entry = ProductSearchEntry
    return Match(ranked=entry.select(entry.product_id.alias("product_id"),
                                     (entry.bm25(*BM25_WEIGHTS) * -1).alias("rank")).where(entry.match(expression)),
                 ids=entry.select(entry.product_id).where(entry.match(expression)))


def name_match(query: str | None) -> Match | None:
    """The Match of the products with a name word starting with every word of `query` (names
    only, for autocomplete: PostgreSQL `w:*A`, weight A being the name; SQLite `name: "w"*`),
    or None when `query` has no searchable word. No SQL runs here."""
    words = terms(query)
    if not words:
        return None
    if is_postgres():
        prefixed = fn.to_tsquery(SQL("'english'"), " & ".join(f"{w}:*A" for w in words))
        return Match(condition=NodeList((SEARCH_VECTOR, SQL("@@"), prefixed)), rank=fn.ts_rank(SEARCH_VECTOR, prefixed))
    expression = " AND ".join(f'name: "{w}"*' for w in words)
    entry = ProductSearchEntry
    return Match(ranked=entry.select(entry.product_id.alias("product_id"),
                                     (entry.bm25(*BM25_WEIGHTS) * -1).alias("rank")).where(entry.match(expression)),
                 ids=entry.select(entry.product_id).where(entry.match(expression)))


def trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams of one word: lower-cased, padded with two spaces before and one after."""
    padded = f"  {word.lower()} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


def trigram_similarity(a: str, b: str) -> float:
    """Shared trigrams / distinct trigrams of the two words (pg_trgm's `similarity`), 0..1."""
    x, y = trigrams(a), trigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def _close_enough(words: list[str], name: str) -> bool:
    name_words = terms(name) or [""]
    return all(max(trigram_similarity(w, n) for n in name_words) >= FUZZY_THRESHOLD for w in words)


def fuzzy_match(query: str | None) -> Match | None:
    """The Match of the products whose name is similar to `query` despite typos
    (see the module docstring), or None when `query` has no searchable word. On SQLite this
    reads the candidates (one query); on PostgreSQL it sets the similarity threshold of the
    connection (one statement)."""
    words = terms(query)
    if not words:
        return None
    if is_postgres():
        database.execute_sql("SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)",
                             (str(WORD_SIMILARITY_THRESHOLD),))
        text = " ".join(words)
        name = fn.lower(Product.name)
        return Match(condition=NodeList((peewee.Value(text), SQL("<%%"), name)),  # `<%`, escaped for psycopg
                     rank=fn.word_similarity(text, name))
    grams = sorted({g.strip() for w in words for g in trigrams(w) if len(g.strip()) == 3})
    if not grams:
        return None
    expression = " OR ".join(f'"{g}"' for g in grams)
    entry = _TrigramEntry
    table = SQL("product_search_trigram")
    candidates = (entry.select(entry.product_id, entry.name)
                  .where(NodeList((table, SQL("MATCH"), expression)))
                  .order_by(fn.bm25(table)).limit(FUZZY_CANDIDATES).tuples())
    kept = sorted({product_id for product_id, name in candidates if _close_enough(words, name)})
    where = (NodeList((table, SQL("MATCH"), expression)), entry.product_id.in_(kept))
    return Match(ranked=entry.select(entry.product_id.alias("product_id"), (fn.bm25(table) * -1).alias("rank"))
                 .where(*where), ids=Product.select(Product.id).where(Product.id.in_(kept)))
