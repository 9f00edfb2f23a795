"""Full-text search (issue 9): the catalog's search index and the search history tables.

PostgreSQL:
- `CREATE EXTENSION IF NOT EXISTS pg_trgm` (typo tolerance);
- `product.search_vector`, a stored generated tsvector column (so every write - the ORM, bulk
  SQL such as bench.large_shop, imports - keeps it exact, and adding it indexes existing rows):
  the product name weighted A, tags + vendor + product type B, the description without its HTML
  tags C, with the `english` configuration (stemming: "roses" finds "Rose"); GIN index
  `product_search_vector`;
- `product_name_trgm`: a GIN trigram index on `lower(name)` (similarity fallback);
- `product_name_prefix`: a b-tree on `lower(name) COLLATE "C"` (autocomplete: a LIKE prefix
  range scan that is also in the order it answers in).

SQLite (embedded):
- `product_search`, an FTS5 table (porter stemming over unicode61, prefix indexes of 2 and 3
  characters) with columns name, tags (tags, vendor, product type), body (the description, HTML
  tags included: SQLite has no regular expressions) and the unindexed product id;
- `product_search_trigram`, an FTS5 trigram table of product names (typo tolerance);
- triggers keeping both in step with every INSERT, UPDATE and DELETE of `product`, and a
  backfill of the existing rows.

Both: the tables `search_log` and `search_query_day` (models.search).
"""

from models.db import is_postgres
from models.search import SearchLog, SearchQueryDay

PG_VECTOR = """
    setweight(to_tsvector('english'::regconfig, coalesce(name, '')), 'A')
    || setweight(to_tsvector('english'::regconfig, coalesce(tags, '') || ' ' || coalesce(vendor, '') || ' '
                             || coalesce(product_type, '')), 'B')
    || setweight(to_tsvector('english'::regconfig,
                             regexp_replace(coalesce(description, ''), '<[^>]*>', ' ', 'g')), 'C')"""

PG_STATEMENTS = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"ALTER TABLE product ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS ({PG_VECTOR}) STORED",
    "CREATE INDEX IF NOT EXISTS product_search_vector ON product USING GIN (search_vector)",
    "CREATE INDEX IF NOT EXISTS product_name_trgm ON product USING GIN (lower(name) gin_trgm_ops)",
    'CREATE INDEX IF NOT EXISTS product_name_prefix ON product ((lower(name) COLLATE "C"))',
]

SQLITE_TAGS = "coalesce({p}.tags, '') || ' ' || coalesce({p}.vendor, '') || ' ' || coalesce({p}.product_type, '')"
SQLITE_INSERT = ("INSERT INTO product_search (name, tags, body, product_id) VALUES "
                 "({p}.name, " + SQLITE_TAGS + ", coalesce({p}.description, ''), {p}.id); "
                 "INSERT INTO product_search_trigram (name, product_id) VALUES ({p}.name, {p}.id);")
SQLITE_DELETE = ("DELETE FROM product_search WHERE product_id = old.id; "
                 "DELETE FROM product_search_trigram WHERE product_id = old.id;")

SQLITE_STATEMENTS = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS product_search USING fts5(name, tags, body, product_id UNINDEXED, "
    "tokenize='porter unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS product_search_trigram USING fts5(name, product_id UNINDEXED, "
    "tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS product_search_insert AFTER INSERT ON product BEGIN "
    + SQLITE_INSERT.format(p="new") + " END",
    "CREATE TRIGGER IF NOT EXISTS product_search_update AFTER UPDATE OF name, tags, vendor, product_type, "
    "description, id ON product BEGIN " + SQLITE_DELETE + " " + SQLITE_INSERT.format(p="new") + " END",
    "CREATE TRIGGER IF NOT EXISTS product_search_delete AFTER DELETE ON product BEGIN " + SQLITE_DELETE + " END",
    "DELETE FROM product_search",
    "DELETE FROM product_search_trigram",
    "INSERT INTO product_search (name, tags, body, product_id) SELECT p.name, " + SQLITE_TAGS.format(p="p")
    + ", coalesce(p.description, ''), p.id FROM product AS p",
    "INSERT INTO product_search_trigram (name, product_id) SELECT p.name, p.id FROM product AS p",
]


def migrate(database, migrator):
    for statement in PG_STATEMENTS if is_postgres() else SQLITE_STATEMENTS:
        database.execute_sql(statement)
    database.create_tables([SearchLog, SearchQueryDay], safe=True)
