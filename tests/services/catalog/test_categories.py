"""The category tree (services.catalog.categories): tree building and ordering, visibility,
slugs, cycles, depth, products of a subtree, delete with the subtree, the demo tree, and
migration 0016 on a database from before it."""

import pytest

from models.catalog import Category, Product
from models.db import database, init_database
from models.migrate import apply_migrations, migration_names
from services import catalog, demo
from services.errors import Conflict, NotFound, ValidationFailed
from tests.factories import make_product


def cat(name, parent=None, **fields):
    return catalog.create_category({"name": name, "parent_id": parent.id if parent else None, **fields})


def names(nodes):
    return [(n.category.name, names(n.children)) if n.children else n.category.name for n in nodes]


def test_the_tree_is_built_in_sibling_order_with_subtree_product_counts(db):
    flowers = cat("Flowers", sort_order=2)
    cheese = cat("Cheese", sort_order=1)
    bouquets = cat("Bouquets", flowers, sort_order=2)
    cat("Arrangements", flowers, sort_order=2)  # same sort_order: by name
    roses = cat("Roses", bouquets)
    make_product(name="Red roses", category=roses)
    make_product(name="Mixed", category=bouquets)
    make_product(name="Draft", category=roses, status="draft")  # not counted
    make_product(name="Brie", category=cheese)

    roots = catalog.category_tree()
    assert names(roots) == ["Cheese", ("Flowers", ["Arrangements", ("Bouquets", ["Roses"])])]
    counts = {n.category.name: n.product_count for n in catalog.flatten(roots)}
    assert counts == {"Cheese": 1, "Flowers": 2, "Arrangements": 0, "Bouquets": 2, "Roses": 1}
    assert [(n.category.name, n.depth) for n in catalog.flatten(roots)] == [
        ("Cheese", 1), ("Flowers", 1), ("Arrangements", 2), ("Bouquets", 2), ("Roses", 3)]


def test_an_inactive_category_hides_its_subtree_and_its_products_from_counts(db):
    flowers = cat("Flowers")
    hidden = cat("Hidden", flowers, is_active=False)
    under = cat("Under", hidden)
    make_product(category=under)
    assert names(catalog.category_tree()) == ["Flowers"]
    assert catalog.category_tree()[0].product_count == 0
    assert names(catalog.category_tree(include_inactive=True)) == [("Flowers", [("Hidden", ["Under"])])]
    with pytest.raises(NotFound):
        catalog.get_category(under.slug)
    assert catalog.get_category(under.slug, include_inactive=True).node.category.id == under.id
    assert catalog.subtree_ids(flowers.id) == [flowers.id]


def test_the_type_filter_keeps_matching_branches(db):
    going_out = cat("Going out", type="going_out")
    cat("Dinner", going_out, type="going_out")
    cat("Flowers")
    assert names(catalog.category_tree(type_="going_out")) == [("Going out", ["Dinner"])]
    assert names(catalog.category_tree(type_="home_delivery")) == ["Flowers"]


def test_slugs_come_from_the_name_de_duplicated_and_a_taken_explicit_slug_is_a_conflict(db):
    assert cat("Crème Brûlée").slug == "creme-brulee"
    assert cat("Crème brûlée!").slug == "creme-brulee-2"
    assert cat("!!!").slug == "category"
    with pytest.raises(Conflict) as taken:
        cat("Other", slug="creme-brulee")
    assert taken.value.reason == "category_slug_taken"
    renamed = catalog.update_category(Category.get(Category.slug == "creme-brulee").id, {"name": "Custard"})
    assert renamed.slug == "creme-brulee"  # a rename keeps the URL


def test_a_category_cannot_become_its_own_ancestor(db):
    a = cat("A")
    b = cat("B", a)
    c = cat("C", b)
    for parent in (a, c):
        with pytest.raises(ValidationFailed) as cycle:
            catalog.update_category(a.id, {"parent_id": parent.id})
        assert cycle.value.reason == "category_cycle"
    moved = catalog.update_category(c.id, {"parent_id": None})
    assert moved.parent_id is None
    with pytest.raises(ValidationFailed) as unknown:
        catalog.update_category(c.id, {"parent_id": "cat_missing"})
    assert unknown.value.reason == "unknown_parent"


def test_the_tree_is_at_most_max_depth_levels_deep_on_create_and_on_move(db):
    chain = [cat("L1")]
    for level in range(2, catalog.MAX_DEPTH + 1):
        chain.append(cat(f"L{level}", chain[-1]))
    with pytest.raises(ValidationFailed) as too_deep:
        cat("Too deep", chain[-1])
    assert too_deep.value.reason == "category_too_deep"
    other = cat("Other")
    cat("Other child", other)
    with pytest.raises(ValidationFailed):  # a two-level subtree under level 4 would reach level 6
        catalog.update_category(other.id, {"parent_id": chain[3].id})
    assert catalog.update_category(other.id, {"parent_id": chain[2].id}).parent_id == chain[2].id


def test_products_of_a_category_include_its_descendants_and_use_the_list_filters(db):
    cheese = cat("Cheese")
    soft = cat("Soft", cheese)
    make_product(name="Brie", price=900, category=soft)
    make_product(name="Comte", price=1500, category=cheese)
    make_product(name="Elsewhere", price=100)
    ids = catalog.subtree_ids(cheese.slug)
    views, total = catalog.list_products(category_ids=ids, sort_by="price")
    assert [v.product.name for v in views] == ["Brie", "Comte"] and total == 2
    views, total = catalog.list_products(category_ids=ids, min_price=1000)
    assert [v.product.name for v in views] == ["Comte"] and total == 1
    assert [v.product.name for v in catalog.list_products(category_ids=catalog.subtree_ids(soft.id))[0]] == ["Brie"]


def test_delete_removes_the_subtree_and_uncategorises_its_products(db):
    flowers = cat("Flowers")
    bouquets = cat("Bouquets", flowers)
    roses = cat("Roses", bouquets)
    keep = cat("Keep")
    rose = make_product(name="Rose", category=roses)
    kept = make_product(name="Kept", category=keep)
    outcome = catalog.delete_category(bouquets.id)
    assert outcome == {"deleted_ids": [bouquets.id, roses.id], "uncategorized_products": 1}
    assert {c.slug for c in Category.select()} == {"flowers", "keep"}
    assert Product.get_by_id(rose.id).category_id is None and Product.get_by_id(kept.id).category_id == keep.id
    with pytest.raises(NotFound):
        catalog.delete_category(bouquets.id)


def test_products_name_their_category_by_id_and_an_unknown_id_is_refused(db):
    serums = cat("Serums")
    product = catalog.create_product({"name": "Serum", "category_id": serums.id,
                                      "variants": [{"name": "Default", "price": 100}]})
    assert product.category_id == serums.id
    assert catalog.update_product(product.id, {"category_id": None}).category_id is None
    with pytest.raises(ValidationFailed) as unknown:
        catalog.update_product(product.id, {"category_id": "cat_missing"})
    assert unknown.value.reason == "unknown_category_id"


def test_the_demo_tree_puts_every_demo_product_in_a_leaf_and_is_seeded_once(db):
    demo.seed_demo_if_empty()
    assert demo.seed_categories() == 0  # nothing missing: idempotent
    leaves = {c.id for c in Category.select() if not Category.select().where(Category.parent == c.id).exists()}
    seeded = list(Product.select().where(Product.store.is_null(False)))
    assert seeded and all(p.category_id in leaves and p.category.parent_id for p in seeded)
    roots = {c.slug: c.type for c in Category.select().where(Category.parent.is_null())}
    assert roots.items() >= {"flowers": "home_delivery", "occasions": "going_out"}.items()


def test_0016_adds_the_tree_columns_to_an_existing_category_table(tmp_path, settings):
    init_database(f"sqlite:///{tmp_path / 'old.db'}")
    before = migration_names()[migration_names().index("0016_category_tree") - 1]
    with database.connection_context():
        apply_migrations(target=before)
        database.execute_sql("PRAGMA foreign_keys = OFF")
        database.execute_sql("DROP TABLE category")
        database.execute_sql("CREATE TABLE category (id VARCHAR(40) NOT NULL PRIMARY KEY, name VARCHAR(200) NOT NULL, "
                             "slug VARCHAR(200) NOT NULL, created_at DATETIME NOT NULL)")
        database.execute_sql("CREATE UNIQUE INDEX category_slug ON category (slug)")
        database.execute_sql("PRAGMA foreign_keys = ON")
        database.execute_sql("INSERT INTO category (id, name, slug, created_at) "
                             "VALUES ('cat_old', 'Serums', 'serums', '2025-01-01 00:00:00')")

        assert "0016_category_tree" in apply_migrations()
        old = Category.get_by_id("cat_old")
        assert (old.name, old.type, old.is_active, old.sort_order, old.metadata, old.parent_id, old.description) == \
            ("Serums", "home_delivery", True, 0, {}, None, "")
        assert str(old.updated_at).startswith("2025-01-01")
        child = catalog.create_category({"name": "Vitamin C", "parent_id": "cat_old"})
        assert catalog.category_tree()[0].children[0].category.id == child.id
        indexes = [row[1] for row in database.execute_sql("PRAGMA index_list('category')").fetchall()]
        assert "category_parent_id_sort_order" in indexes
        assert database.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
