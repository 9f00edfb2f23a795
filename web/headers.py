"""Security headers on every answer: HSTS, no sniffing, no framing, a referrer policy, a
Content-Security-Policy and a cross-origin opener policy.

`install(app)` adds them in an `after_request` hook, which Flask runs for views, for the
error envelope's handlers (404, 405, 422, 500...), for answers a `before_request` check
gives, and for the OpenAPI document and the Swagger UI with its assets. Answers the HTTP
server writes itself, before the app sees a request, take them from `security_headers()`
(see `web.server_errors`).

Headers (the values of `security_headers()`):

- `Strict-Transport-Security: max-age=<settings.hsts_seconds>; includeSubDomains`, left out
  when `hsts_seconds` is 0 (`HSTS_MAX_AGE_SECONDS`); read per answer, so an override applies;
- `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`,
  `Referrer-Policy: strict-origin-when-cross-origin`, `Cross-Origin-Opener-Policy: same-origin`;
- `Content-Security-Policy: default-src 'self'; base-uri 'none'; frame-ancestors 'none'`
  (`API_CSP`): the API answers JSON, which needs nothing more.

The Swagger UI page (`/api/v1/docs`, flask-smorest's template, assets served from
`/api/v1/docs/assets/`) gets `docs_csp(page)`, which adds exactly what that page needs:

- `script-src 'self' 'sha256-...'`: the two bundles are same-origin files; the page's one
  inline `<script>` (the `SwaggerUIBundle(config)` bootstrap) is allowed by its hash, computed
  from the page as rendered, so no other inline script (and no `eval`) can run;
- `style-src 'self'` for the stylesheet, and `style-src-attr 'unsafe-inline'`: Swagger UI
  renders Markdown (table alignment) as HTML with `style="..."` attributes. Attributes only,
  never `<style>` elements (browsers without `style-src-attr` fall back to `style-src 'self'`
  and only lose that alignment);
- `img-src 'self' data:`: the stylesheet's icons and the loading spinner are `data:` images.

Swagger UI's online-validator badge would load an image from validator.swagger.io (and
send it the document's URL); `install` turns it off (`validatorUrl: null`) unless
`OPENAPI_SWAGGER_UI_CONFIG` already says otherwise.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re

from flask import Flask, Response, request

import config

API_CSP = "default-src 'self'; base-uri 'none'; frame-ancestors 'none'"
DOCS_ENDPOINT = "api-docs.openapi_swagger_ui"  # flask-smorest's Swagger UI page
STATIC_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)


def hsts_value(seconds: int) -> str | None:
    """The `Strict-Transport-Security` value for a max-age of `seconds`; None when 0."""
    return f"max-age={int(seconds)}; includeSubDomains" if seconds > 0 else None


def security_headers(csp: str = API_CSP) -> list[tuple[str, str]]:
    """The security headers of an answer, as `[(name, value)]`, with `csp` as its
    Content-Security-Policy; HSTS from the current settings (`hsts_seconds`)."""
    headers = [*STATIC_HEADERS, ("Content-Security-Policy", csp)]
    hsts = hsts_value(config.get().hsts_seconds)
    if hsts:
        headers.append(("Strict-Transport-Security", hsts))
    return headers


def script_hash(source: str) -> str:
    """A CSP source expression (`'sha256-<base64>'`) for an inline script's text. The HTML
    parser turns CRLF and lone CR into LF before the browser hashes, so this does too."""
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


@functools.lru_cache(maxsize=8)
def docs_csp(page: str) -> str:
    """The Content-Security-Policy of the Swagger UI page whose HTML is `page`: `API_CSP` plus
    its assets, its inline scripts by hash, style attributes and `data:` images (see above).
    The page is rendered from settings only, so its few variants are cached."""
    hashes = " ".join(dict.fromkeys(script_hash(body) for body in _INLINE_SCRIPT.findall(page)))
    script_src = f"script-src 'self' {hashes}".rstrip()
    return (f"default-src 'self'; {script_src}; style-src 'self'; style-src-attr 'unsafe-inline'; "
            "img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'")


def add_security_headers(response: Response) -> Response:
    """Set the security headers on `response` (the docs page's CSP for the Swagger UI page)."""
    csp = API_CSP
    if request.endpoint == DOCS_ENDPOINT and response.mimetype == "text/html" and not response.is_streamed:
        csp = docs_csp(response.get_data(as_text=True))
    for name, value in security_headers(csp):
        response.headers[name] = value
    return response


def install(app: Flask) -> None:
    """Add the security headers to every answer of `app`, and keep the Swagger UI offline
    (no online-validator badge). Call it after the error handlers are registered."""
    swagger_config = app.config.setdefault("OPENAPI_SWAGGER_UI_CONFIG", {})
    swagger_config.setdefault("validatorUrl", None)
    app.after_request(add_security_headers)
