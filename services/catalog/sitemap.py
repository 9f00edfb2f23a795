"""The sitemap (sitemaps.org protocol 0.9), built by a job and served from the database.

`build_sitemap()` writes, in one transaction, a sitemap index `sitemap.xml` and its parts,
one kind of page each, at most `MAX_URLS` (50,000, the protocol's limit) URLs per part:
`sitemap-products-1.xml` (active products, `<storefront>/products/<handle>`),
`sitemap-categories-1.xml` (active categories, `/categories/<slug>`) and
`sitemap-stores-1.xml` (stores, `/stores/<slug>`; a kind with no page has no part), each URL with its `lastmod` (W3C datetime,
UTC). URLs are on `STOREFRONT_URL`, the shop's public site; the files are served by the API
at the site root (web.seo), so a storefront proxies `/sitemap*.xml` to it. A new kind of page
(recipes, when they come) is one more entry in `SOURCES`.

Who builds it: the `sitemap_build` job (`run_sitemap_job`: on demand, by staff or on the
first request when no sitemap exists yet) and the hourly `build_sitemap` maintenance task.
Building reads each kind in pages of `PAGE` rows, so 100,000 products cost a few MB of XML.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Callable, Iterator
from xml.sax.saxutils import escape

import config
from models.catalog import Category, Product, Store
from models.db import atomic, new_id, utcnow
from models.jobs import Job
from models.seo import SitemapDocument
from services.platform import jobs

MAX_URLS = 50_000  # sitemaps.org: at most 50,000 URLs per sitemap file
PAGE = 5_000
INDEX = "sitemap.xml"
UNFINISHED = ("queued", "running", "cancel_requested")
XMLNS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def _products() -> Iterator[tuple[str, dt.datetime]]:
    query = (Product.select(Product.handle, Product.updated_at).where(Product.status == "active")
             .order_by(Product.id).tuples())
    for handle, updated in query.iterator():
        yield f"/products/{handle}", updated


def _categories() -> Iterator[tuple[str, dt.datetime]]:
    query = (Category.select(Category.slug, Category.updated_at).where(Category.is_active == True)  # noqa: E712
             .order_by(Category.id).tuples())
    for slug, updated in query.iterator():
        yield f"/categories/{slug}", updated


def _stores() -> Iterator[tuple[str, dt.datetime]]:
    for slug, created in Store.select(Store.slug, Store.created_at).order_by(Store.id).tuples().iterator():
        yield f"/stores/{slug}", created


SOURCES: dict[str, Callable[[], Iterator[tuple[str, dt.datetime]]]] = {
    "products": _products, "categories": _categories, "stores": _stores,
}


def _lastmod(moment: dt.datetime | None) -> str:
    return (moment or utcnow()).replace(microsecond=0).isoformat() + "+00:00"


def _urlset(base: str, entries: list[tuple[str, dt.datetime]]) -> str:
    lines = [f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{XMLNS}">']
    lines.extend(f"<url><loc>{escape(base + path)}</loc><lastmod>{_lastmod(moment)}</lastmod></url>"
                 for path, moment in entries)
    lines.append("</urlset>\n")
    return "\n".join(lines)


def _index(base: str, parts: list[str], built: dt.datetime) -> str:
    lines = [f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{XMLNS}">']
    lines.extend(f"<sitemap><loc>{escape(f'{base}/{name}')}</loc><lastmod>{_lastmod(built)}</lastmod></sitemap>"
                 for name in parts)
    lines.append("</sitemapindex>\n")
    return "\n".join(lines)


def _chunks(source: Iterator, size: int) -> Iterator[list]:
    chunk = []
    for item in source:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _etag(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()[:32]


def build_sitemap(max_urls: int = MAX_URLS) -> dict:
    """Rebuild every sitemap document (module docstring) and replace the old ones in one
    transaction, so readers see the old sitemap or the new one, never a mix.

    Returns `{"buildId", "documents": n (the index included), "urls": {kind: n}}`.
    `max_urls` (default the protocol's 50,000) is the most URLs per part.
    """
    base = config.get().storefront_url.rstrip("/")
    build_id, built = new_id("sitemap"), utcnow()
    documents, counts = {}, {}
    for kind, source in SOURCES.items():
        counts[kind] = 0
        for number, entries in enumerate(_chunks(source(), max_urls), start=1):
            documents[f"sitemap-{kind}-{number}.xml"] = _urlset(base, entries)
            counts[kind] += len(entries)
    documents[INDEX] = _index(base, [name for name in documents], built)
    with atomic():
        SitemapDocument.delete().execute()
        for name, content in documents.items():
            SitemapDocument.create(name=name, content=content, etag=_etag(content), build_id=build_id,
                                   built_at=built)
    return {"buildId": build_id, "documents": len(documents), "urls": counts}


def empty_sitemap_index() -> str:
    """A sitemap index listing no parts: what is served until the first build has run."""
    return _index("", [], utcnow())


def sitemap_document(name: str) -> SitemapDocument | None:
    """The built document `name` (`sitemap.xml`, `sitemap-products-1.xml`...), or None."""
    return SitemapDocument.get_or_none(SitemapDocument.name == name)


def request_sitemap_build(owner_id: str | None = None) -> Job:
    """The unfinished `sitemap_build` job, or a new one (queued, dispatched after the caller's
    commit): many requests while no sitemap exists queue one build, not one each."""
    pending = (Job.select().where(Job.type == "sitemap_build", Job.state.in_(UNFINISHED))
               .order_by(Job.created_at.desc()).first())
    return pending or jobs.create_job("sitemap_build", {}, owner_id=owner_id)


def run_sitemap_job(job: Job, ctx) -> dict:
    """`sitemap_build` job handler: `build_sitemap()`; its result is the job's result."""
    ctx.progress(0, 1, "Building the sitemap")
    return build_sitemap()


def build_sitemap_task(job: Job, ctx, now: dt.datetime) -> dict:
    """The hourly `build_sitemap` maintenance task (services.maintenance): `build_sitemap()`."""
    return build_sitemap()
