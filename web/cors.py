"""CORS (flask-cors) for the configured origins only.

`install(app, origins)` allows cross-origin calls from exactly the origins in
`settings.cors_origins` (`CORS_ORIGINS`: exact `scheme://host[:port]`, matched as literal
strings, case-insensitively, never as patterns). A browser on one of them may send
credentials, call every method the API has, send the request headers in `ALLOW_HEADERS` and
read the response headers in `EXPOSE_HEADERS`; a preflight (`OPTIONS` with
`Access-Control-Request-Method`) is answered 200 with `Access-Control-Allow-*` and cached
for `MAX_AGE_SECONDS`. Another origin, or an empty list, gets no `Access-Control-*` header
at all (with an empty list flask-cors is not even installed), so the browser refuses it.

While CORS is on, every answer says `Vary: Origin`, also the answers to other origins, so a
shared cache never hands one origin's answer (with or without the allow header) to another.
"""

from __future__ import annotations

import re

from flask import Flask, Response
from flask_cors import CORS

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
ALLOW_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "Prefer", "Last-Event-ID", "If-None-Match",
                 "X-Request-ID", "x-api-key", "x-app-secret"]
EXPOSE_HEADERS = ["Location", "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "ETag",
                  "X-Request-Id", "Idempotent-Replayed", "Preference-Applied"]
MAX_AGE_SECONDS = 600  # how long a browser may cache a preflight answer


def _vary_on_origin(response: Response) -> Response:
    response.vary.add("Origin")
    return response


def exact(origin: str) -> re.Pattern:
    """A pattern matching exactly `origin` (case-insensitively): flask-cors would read a string
    holding `*`, `?`, `[`... as a regular expression, and match it as a prefix."""
    return re.compile(re.escape(origin.rstrip("/")) + r"\Z", re.IGNORECASE)


def install(app: Flask, origins) -> None:
    """Allow cross-origin requests to `/api/...` from exactly `origins` (an iterable of
    `scheme://host[:port]` strings); nothing at all when it is empty."""
    patterns = [exact(str(origin)) for origin in origins]
    if not patterns:
        return
    # always_send=False: a request without `Origin` (same-origin, curl) gets no CORS header,
    # rather than the list of allowed origins.
    CORS(app, resources={r"/api/*": {}}, origins=patterns, supports_credentials=True, methods=METHODS,
         allow_headers=ALLOW_HEADERS, expose_headers=EXPOSE_HEADERS, max_age=MAX_AGE_SECONDS, send_wildcard=False,
         always_send=False, vary_header=False, allow_private_network=False)  # Vary: see _vary_on_origin
    app.after_request(_vary_on_origin)
