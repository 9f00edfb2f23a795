"""Old slugs keep working: a product whose handle changes, or a category whose slug changes,
leaves a `SlugRedirect` from the old slug to its row, and reads of the old slug answer
`301 Moved Permanently` with the current one (web.products, web.categories).

The live slug always wins: a redirect is looked up only when no product or category has the
slug now, so a new product may take an old handle and the redirect simply stops applying.
A slug that changes back to an old value drops that value's redirect (it is live again).
"""

from __future__ import annotations

from models.catalog import Category, Product
from models.seo import SlugRedirect


def record_slug_change(kind: str, old_slug: str, new_slug: str, target_id: str) -> None:
    """Remember that `target_id` (a product or category id; `kind` "product" | "category") was
    at `old_slug` before `new_slug`; call in the transaction that changes the slug. Nothing is
    recorded when the slug did not change or had no value."""
    if not old_slug or old_slug == new_slug:
        return
    SlugRedirect.delete().where(SlugRedirect.kind == kind, SlugRedirect.old_slug == new_slug).execute()
    (SlugRedirect.insert(kind=kind, old_slug=old_slug, target_id=target_id)
     .on_conflict(conflict_target=[SlugRedirect.kind, SlugRedirect.old_slug],
                  update={SlugRedirect.target_id: target_id}).execute())


def current_slug(kind: str, old_slug: str) -> str | None:
    """The slug now used by whatever was at `old_slug` (`kind` "product": a handle, of an active
    product; "category": a slug, of an active category), or None when nothing was there or it
    is gone or no longer public."""
    target = (SlugRedirect.select(SlugRedirect.target_id)
              .where(SlugRedirect.kind == kind, SlugRedirect.old_slug == old_slug).scalar())
    if target is None:
        return None
    if kind == "product":
        query = Product.select(Product.handle).where(Product.id == target, Product.status == "active")
    else:
        query = Category.select(Category.slug).where(Category.id == target, Category.is_active == True)  # noqa: E712
    return query.scalar()
