"""The category tree (seed 002 categories): reads (the tree, one category with its subtree and
ancestors, the ids of a subtree for product lists) and writes (create, update, delete).

Every read loads all categories in one query and assembles the tree in Python (a shop has
hundreds of categories, not millions), plus one grouped count of active products per category.

Rules:

- **Visibility**: an inactive category hides its whole subtree from the public (it is neither
  listed nor found, and its products do not count in its ancestors' `product_count`);
  `include_inactive` (staff) shows everything. A `type` filter hides the same way: the
  categories of that type whose ancestors are of that type too.
- **Products of a category include its descendants'** (as Saleor categories and Shopify
  collections do): `subtree_ids` gives the category and its visible descendants, which
  `products.list_products(category_ids=...)` filters on; `product_count` is the number of active
  products in the visible subtree.
- **Shape**: a category cannot be its own ancestor (moving it under itself or a descendant:
  422 `category_cycle`), and the tree is at most `MAX_DEPTH` levels deep (a root is level 1:
  422 `category_too_deep`).
- **Slugs** are unique: given explicitly and already used, 409 `category_slug_taken`; when not
  given, the slug of the name, de-duplicated with `-2`, `-3`... A rename keeps the slug (URLs stay).
- **Delete** removes the category and its whole subtree, as Saleor does; the products of every
  deleted category are kept, uncategorised (`category = NULL`).

Writes take a snake_case dict: `{"name", "slug", "description", "icon", "image", "type",
"parent_id", "is_active", "sort_order", "metadata": {"color", "tags"}}` (shapes checked by
web.categories); each invalidates the catalog cache when it commits (product lists show
category slugs). On PostgreSQL, tree writes serialise on an advisory lock, so two concurrent
moves cannot build a cycle between them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import peewee

from models.catalog import Category, Product
from models.db import atomic, database, is_postgres, utcnow
from services.catalog import slug_redirects
from services.catalog.slugs import free_slug, slugify
from services.errors import Conflict, NotFound, ValidationFailed
from services.platform import catalog_ttl

MAX_DEPTH = 5  # levels: a root, and up to four levels of subcategories under it
TREE_LOCK = 727273  # pg_advisory_xact_lock key of category tree writes
WRITE_FIELDS = ("name", "description", "icon", "image", "type", "is_active", "sort_order", "metadata")


@dataclass
class CategoryNode:
    """A category in the tree: its visible `children` (CategoryNode, in sibling order), its
    `depth` (1 for a root) and `product_count` (active products in the visible subtree)."""

    category: Category
    depth: int = 1
    children: list = field(default_factory=list)
    product_count: int = 0


@dataclass
class CategoryDetail:
    """One category (`node`, with its visible subtree) and its `ancestors` (Category, root first)."""

    node: CategoryNode
    ancestors: list


# --------------------------------------------------------------------------- reads

def _all_categories() -> list[Category]:
    """Every category in sibling order (sort_order, name, id): one query."""
    return list(Category.select().order_by(Category.sort_order, peewee.fn.LOWER(Category.name), Category.id))


def _product_counts() -> dict[str, int]:
    """category id -> active products directly in it: one grouped query."""
    rows = (Product.select(Product.category, peewee.fn.COUNT(Product.id))
            .where(Product.status == "active", Product.category.is_null(False))
            .group_by(Product.category).tuples())
    return dict(rows)


def _build(categories: list[Category], visible, counts: dict[str, int]) -> tuple[list, dict]:
    """(roots, id -> node) of the categories `visible(category)` keeps, each hidden one hiding its subtree."""
    by_parent: dict[str | None, list[Category]] = {}
    for category in categories:
        by_parent.setdefault(category.parent_id, []).append(category)
    nodes: dict[str, CategoryNode] = {}

    def grow(category: Category, depth: int) -> CategoryNode:
        node = nodes[category.id] = CategoryNode(category, depth)
        node.children = [grow(child, depth + 1) for child in by_parent.get(category.id, []) if visible(child)]
        node.product_count = counts.get(category.id, 0) + sum(c.product_count for c in node.children)
        return node

    roots = [grow(c, 1) for c in by_parent.get(None, []) if visible(c)]
    return roots, nodes


def _visibility(include_inactive: bool, type_: str | None = None):
    return lambda c: (include_inactive or c.is_active) and (type_ is None or c.type == type_)


def category_tree(include_inactive: bool = False, type_: str | None = None) -> list[CategoryNode]:
    """The roots of the visible tree (see the module docstring), children nested, in sibling
    order. Two queries."""
    roots, _ = _build(_all_categories(), _visibility(include_inactive, type_), _product_counts())
    return roots


def flatten(nodes: list[CategoryNode]) -> list[CategoryNode]:
    """The nodes depth-first (each parent before its children), in sibling order."""
    flat = []
    for node in nodes:
        flat.append(node)
        flat.extend(flatten(node.children))
    return flat


def _find(categories: list[Category], ref: str) -> Category:
    key = "id" if ref.startswith("cat_") else "slug"
    found = next((c for c in categories if getattr(c, key) == ref), None)
    if found is None:
        raise NotFound("Category not found", reason="category_not_found")
    return found


def get_category(ref: str, include_inactive: bool = False) -> CategoryDetail:
    """The category with id (`cat_...`) or slug `ref`, with its visible subtree and ancestors.

    A category hidden from the caller (inactive, or under an inactive one) is not found.
    Raises NotFound (404, `category_not_found`). Two queries.
    """
    categories = _all_categories()
    _, nodes = _build(categories, _visibility(include_inactive), _product_counts())
    target = _find(categories, ref)
    if target.id not in nodes:
        raise NotFound("Category not found", reason="category_not_found")
    by_id = {c.id: c for c in categories}
    ancestors, parent_id = [], target.parent_id
    while parent_id is not None:
        ancestors.insert(0, by_id[parent_id])
        parent_id = by_id[parent_id].parent_id
    return CategoryDetail(nodes[target.id], ancestors)


def subtree_ids(ref: str, include_inactive: bool = False) -> list[str]:
    """Ids of the category `ref` (id or slug) and of its visible descendants: what its product
    list filters on. Raises NotFound as `get_category`."""
    return [node.category.id for node in flatten([get_category(ref, include_inactive).node])]


def existing_category_id(category_id: str | None) -> str | None:
    """`category_id` when such a category exists (None stays None: no category).

    Raises ValidationFailed (422, `unknown_category_id`, field `categoryId`) otherwise: what a
    product write names must exist (a slug, by contrast, creates its category on first use)."""
    if category_id is None:
        return None
    if not Category.select().where(Category.id == category_id).exists():
        raise ValidationFailed("Category not found", reason="unknown_category_id",
                               details=[{"field": "categoryId", "message": "No such category"}])
    return category_id


# --------------------------------------------------------------------------- writes

def _lock_tree() -> None:
    if is_postgres():
        database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (TREE_LOCK,))


def _free_slug(name: str) -> str:
    """The slug of `name` (`category` when nothing is left), or with the first free `-2`, `-3`... suffix."""
    return free_slug(name, Category.slug, "category")


def _claim_slug(slug: str, category_id: str | None) -> str:
    clean = slugify(slug)
    if not clean:
        raise ValidationFailed("A slug needs letters or digits", reason="invalid_category",
                               details=[{"field": "slug", "message": "Use letters, digits and hyphens"}])
    if Category.select().where(Category.slug == clean, Category.id != (category_id or "")).exists():
        raise Conflict(f"Slug {clean!r} is already used by another category", reason="category_slug_taken",
                       details=[{"field": "slug", "message": "Already used"}])
    return clean


def _check_parent(category_id: str | None, parent_id: str | None) -> None:
    """A category (`category_id`, None when new) may go under `parent_id`: no cycle, at most
    `MAX_DEPTH` levels. Raises ValidationFailed (`unknown_parent`, `category_cycle`,
    `category_too_deep`)."""
    if parent_id is None:
        return
    parents = dict(Category.select(Category.id, Category.parent).tuples())
    if parent_id not in parents:
        raise ValidationFailed("Parent category not found", reason="unknown_parent",
                               details=[{"field": "parentId", "message": "No such category"}])
    chain, at = [], parent_id  # the new parent and its ancestors
    while at is not None:
        chain.append(at)
        at = parents[at]
    if category_id is not None and category_id in chain:
        raise ValidationFailed("A category cannot be moved under itself or one of its subcategories",
                               reason="category_cycle", details=[{"field": "parentId", "message": "Would be a cycle"}])
    height = 1
    if category_id is not None:  # the levels of the moved subtree
        children: dict[str, list[str]] = {}
        for child, parent in parents.items():
            children.setdefault(parent, []).append(child)

        def levels(node: str) -> int:
            return 1 + max((levels(c) for c in children.get(node, [])), default=0)

        height = levels(category_id)
    if len(chain) + height > MAX_DEPTH:
        raise ValidationFailed(f"Categories nest at most {MAX_DEPTH} levels deep", reason="category_too_deep",
                               details=[{"field": "parentId", "message": f"At most {MAX_DEPTH} levels"}])


def _apply(category: Category, data: dict, existing: bool) -> None:
    """Copy the fields present in `data` onto `category` (not saved); `icon` and `image` may be
    cleared with None, the others ignore None."""
    for name in WRITE_FIELDS:
        if name in data and (data[name] is not None or name in ("icon", "image")):
            setattr(category, name, data[name])
    if "parent_id" in data:
        _check_parent(category.id if existing else None, data["parent_id"])
        category.parent = data["parent_id"]
    category.updated_at = utcnow()


def create_category(data: dict) -> Category:
    """A new category from the write shape (`name` required). Raises ValidationFailed (422:
    `unknown_parent`, `category_too_deep`, `invalid_category`), Conflict (409, `category_slug_taken`)."""
    try:
        with atomic():
            _lock_tree()
            slug = _claim_slug(data["slug"], None) if data.get("slug") else _free_slug(data["name"])
            category = Category(name=data["name"], slug=slug)
            _apply(category, data, existing=False)
            category.save(force_insert=True)
            catalog_ttl.invalidate_after_commit()
            return category
    except peewee.IntegrityError:
        raise Conflict("The slug is already used by another category", reason="category_slug_taken") from None


def update_category(category_id: str, data: dict) -> Category:
    """Change the fields present in `data` (partial); `parent_id: None` makes it a root.

    Raises NotFound (`category_not_found`), ValidationFailed (422: `category_cycle`,
    `category_too_deep`, `unknown_parent`, `invalid_category`), Conflict (409, `category_slug_taken`).
    """
    try:
        with atomic():
            _lock_tree()
            category = Category.get_or_none(Category.id == category_id)
            if category is None:
                raise NotFound("Category not found", reason="category_not_found")
            if data.get("slug"):
                slug = _claim_slug(data["slug"], category.id)
                slug_redirects.record_slug_change("category", category.slug, slug, category.id)
                category.slug = slug
            _apply(category, data, existing=True)
            category.save()
            catalog_ttl.invalidate_after_commit()
            return category
    except peewee.IntegrityError:
        raise Conflict("The slug is already used by another category", reason="category_slug_taken") from None


def delete_category(category_id: str) -> dict:
    """Delete the category and its whole subtree; their products stay, with no category.

    Returns `{"deleted_ids": [the category, then its descendants, depth-first],
    "uncategorized_products": n}`. Raises NotFound (`category_not_found`).
    """
    with atomic():
        _lock_tree()
        ids = [node.category.id for node in flatten([get_category(category_id, include_inactive=True).node])]
        uncategorized = (Product.update(category=None, updated_at=utcnow())
                         .where(Product.category.in_(ids)).execute())
        Category.delete().where(Category.id.in_(ids)).execute()
        catalog_ttl.invalidate_after_commit()
    return {"deleted_ids": ids, "uncategorized_products": uncategorized}
