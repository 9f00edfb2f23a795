"""Caching of public catalog reads (the product list and detail, `@cached_get`): the shared
response cache on the server, and HTTP validators for clients and CDNs.

**Server side.** Anonymous `GET`s (no `Authorization` header; staff may see drafts) are served
from the catalog cache (services.platform.catalog_ttl: Redis across processes, in-process when
embedded) for `CATALOG_CACHE_SECONDS` (default 300; 0 turns it off), keyed by path and query
string (entry name `products:<path>[?<query>]`). Only 200s are kept. Every catalog write, in any
process (admin edits, stock set by staff, checkouts, cancellations, imports, reviews), bumps the
cache's generation when it commits, so no answer outlives a write. `X-Cache: hit | miss` says
what happened; reads that bypass the cache (authenticated, cache off, Redis unreachable: those
read the database) carry no `X-Cache`. Each cacheable read counts
`cartwheel_catalog_cache_total{result="hit"|"miss"}` (services.platform.metrics).

**HTTP.** Every 200 of these reads, cached or not, anonymous or not, carries:

- `ETag`: a strong validator, the SHA-256 of the JSON body (first 32 hex digits), so a cache
  hit and a fresh read of the same data have the same tag and any change gives a new one.
  When web.compression compresses the body, flask-compress rewrites it to `"<tag>:gzip"` /
  `"<tag>:br"` (each encoding is its own representation, as a strong tag requires);
- `If-None-Match` with the tag (either form, or `*`) -> `304 Not Modified`, no body, with the
  tag the client sent;
- `Cache-Control`: `public, max-age=<CATALOG_MAX_AGE_SECONDS>` (default 5; `public, no-cache`
  at 0) for anonymous reads - the short max-age bounds how stale a browser or CDN copy can be,
  the server's own cache being exact; `private, no-cache` for authenticated ones (a browser may
  keep a staff member's copy, revalidated every time; shared caches may not);
- `Vary: Authorization` (and `Accept-Encoding`, from web.compression).
"""

from __future__ import annotations

import functools
import hashlib

from flask import Response, request

import config
from services.platform import catalog_ttl, metrics

COPIED_TO_304 = ("ETag", "Cache-Control", "Vary", "X-Cache")


def clear() -> None:
    """Invalidate every cached catalog answer and list total, in every process."""
    catalog_ttl.invalidate()


def entry_name() -> str:
    """The cache entry of the current request: `products:<path>[?<query string>]`."""
    query = request.query_string.decode("latin-1")
    return f"products:{request.path}" + (f"?{query}" if query else "")


def cache_control(public: bool) -> str:
    """The `Cache-Control` of a catalog read (see the module docstring)."""
    if not public:
        return "private, no-cache"
    max_age = config.get().catalog_max_age_seconds
    return f"public, max-age={max_age}" if max_age > 0 else "public, no-cache"


def body_etag(body: bytes) -> str:
    """The strong ETag value (unquoted) of a response body."""
    return hashlib.sha256(body).hexdigest()[:32]


def _served(view, args, kwargs):
    """The view's answer through the catalog cache (anonymous reads with the cache on)."""
    found = catalog_ttl.lookup(entry_name())
    if not found.available:
        return view(*args, **kwargs)
    metrics.count_catalog_cache("hit" if found.value is not None else "miss")
    if found.value is not None:
        mimetype, _, body = found.value.partition(b"\n")
        return Response(body, status=200, mimetype=mimetype.decode("ascii"), headers={"X-Cache": "hit"})
    response = view(*args, **kwargs)
    if isinstance(response, Response) and response.status_code == 200:
        catalog_ttl.keep(found, response.mimetype.encode("ascii") + b"\n" + response.get_data())
        response.headers["X-Cache"] = "miss"
    return response


def _matching_tag(tag: str) -> str | None:
    """The `If-None-Match` entry that names `tag` (as sent, or with flask-compress's
    `:<encoding>` suffix; weak comparison, as RFC 9110 says for If-None-Match), or None."""
    sent = request.if_none_match
    if sent.star_tag:
        return tag
    for candidate in sent.as_set(include_weak=True):
        if candidate == tag or candidate.startswith(tag + ":"):
            return candidate
    return None


def with_validators(response, public: bool):
    """Add ETag, Cache-Control and Vary to a 200; answer 304 when `If-None-Match` names its tag."""
    if not isinstance(response, Response) or response.status_code != 200:
        return response
    tag = body_etag(response.get_data())
    response.set_etag(tag)
    response.headers["Cache-Control"] = cache_control(public)
    response.vary.add("Authorization")
    matched = _matching_tag(tag)
    if matched is None:
        return response
    not_modified = Response(status=304)
    for name in COPIED_TO_304:
        if name in response.headers:
            not_modified.headers[name] = response.headers[name]
    not_modified.set_etag(matched)
    return not_modified


def cached_get(view):
    """Decorator for a catalog GET view: serve anonymous requests from the catalog cache, and
    give every 200 its validators (see the module docstring)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        public = not request.headers.get("Authorization")
        if public and catalog_ttl.enabled():
            response = _served(view, args, kwargs)
        else:
            response = view(*args, **kwargs)
        return with_validators(response, public)

    return wrapper
