"""Old slugs answer `301 Moved Permanently` (services.catalog.slug_redirects): a read by slug
that finds nothing asks whether the slug belonged to a product or category that has a new one."""

from __future__ import annotations

from typing import Callable

from flask import Response, request

from services import catalog
from services.errors import NotFound


def or_moved(kind: str, slug: str, location: str, read: Callable[[], Response]) -> Response:
    """`read()`; when it raises NotFound and `slug` is an old slug of a `kind` ("product" |
    "category") that now has another, a 301 to `location` formatted with the current slug
    (the query string kept). Otherwise the NotFound propagates."""
    try:
        return read()
    except NotFound:
        current = catalog.current_slug(kind, slug)
        if current is None:
            raise
        query = request.query_string.decode("latin-1")
        target = location.format(current) + (f"?{query}" if query else "")
        return Response(status=301, headers={"Location": target, "Cache-Control": "public, max-age=300"})
