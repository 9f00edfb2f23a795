"""Security headers on every answer (views, errors, the OpenAPI document, the Swagger UI and its
assets, and the answers the HTTP server writes itself), a CSP the local Swagger UI works under,
and CORS for the configured origins only."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import socket
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from werkzeug.datastructures import Headers

import config
from tests.api.test_server_errors import GARBAGE, gunicorn_port, waitress_port  # noqa: F401
from tests.factories import make_product, make_user, token_for

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
ORIGIN = "https://shop.example.com"


def csp_of(headers) -> dict[str, list[str]]:
    """`Content-Security-Policy` as {directive: [sources]}."""
    policy = {}
    for part in headers["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        assert name not in policy, f"{name} twice"
        policy[name] = sources
    return policy


def assert_secured(headers, hsts_seconds=31_536_000):
    for name, value in EXPECTED.items():
        assert headers.get(name) == value, (name, dict(headers))
    assert headers.get("Strict-Transport-Security") == f"max-age={hsts_seconds}; includeSubDomains"
    policy = csp_of(headers)
    assert policy["default-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]
    for directive in ("script-src", "style-src", "default-src"):
        assert "'unsafe-inline'" not in policy.get(directive, []) and "'unsafe-eval'" not in policy.get(directive, [])
    return policy


def test_a_json_answer_has_every_security_header_and_the_strict_policy(api):
    status, _, headers = api.get("/api/v1/health")
    assert status == 200
    policy = assert_secured(headers)
    assert set(policy) == {"default-src", "base-uri", "frame-ancestors"}


@pytest.mark.parametrize("method, path, body, expected", [
    ("GET", "/api/v1/no-such-thing", None, 404),
    ("DELETE", "/api/v1/health", None, 405),
    ("POST", "/api/v1/auth/register", {"email": "not-an-email"}, 422),
    ("GET", "/api/v1/products/prod_missing", None, 404),
    ("GET", "/api/v1/auth/me", None, 401),
    ("POST", "/api/v1/cart", "not json", 415),
])
def test_error_answers_have_the_security_headers(client, method, path, body, expected):
    kwargs = {"json": body} if isinstance(body, dict) else {"data": body, "content_type": "text/plain"} if body \
        else {}
    response = client.open(path, method=method, **kwargs)
    assert response.status_code == expected, response.get_data()
    assert response.get_json()["error"]["code"]
    assert_secured(response.headers)


def test_an_unexpected_exception_answers_500_with_the_security_headers(app):
    def boom():
        raise RuntimeError("boom")

    app.add_url_rule("/api/v1/test-boom", "test_boom", boom)
    response = app.test_client().get("/api/v1/test-boom")
    assert response.status_code == 500 and response.get_json()["error"]["code"] == "INTERNAL_ERROR"
    assert_secured(response.headers)


def test_authenticated_writes_and_cached_reads_have_them_too(api, settings):
    product = make_product(name="Brie", stock=2)
    token = token_for(make_user(role="admin"))
    status, _, headers = api.put(f"/api/v1/products/{product.id}", {"name": "Comte"}, token=token)
    assert status == 200
    assert_secured(headers)
    config.override(dataclasses.replace(settings, catalog_cache_seconds=60))
    try:
        from web import cache

        cache.clear()
        api.get("/api/v1/products")
        status, _, headers = api.get("/api/v1/products")
        assert status == 200 and headers["X-Cache"] == "hit"
        assert_secured(headers)
    finally:
        cache.clear()
        config.override(settings)


def test_the_openapi_document_has_them(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.get_json()["openapi"].startswith("3.1")
    assert_secured(response.headers)


def test_hsts_follows_the_setting_and_is_left_out_at_zero(api, settings):
    config.override(dataclasses.replace(settings, hsts_seconds=600))
    try:
        assert api.get("/api/v1/health")[2]["Strict-Transport-Security"] == "max-age=600; includeSubDomains"
        config.override(dataclasses.replace(settings, hsts_seconds=0))
        for path in ("/api/v1/health", "/api/v1/no-such-thing", "/api/v1/docs"):
            _, _, headers = api.get(path)
            assert "Strict-Transport-Security" not in headers
            assert headers["X-Frame-Options"] == "DENY" and "Content-Security-Policy" in headers
    finally:
        config.override(settings)


class PageParser(HTMLParser):
    """The scripts (src or inline text) and stylesheets of a page."""

    def __init__(self):
        super().__init__()
        self.sources, self.inline_scripts, self._in_script, self.styles_inline = [], [], None, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            if attrs.get("src"):
                self.sources.append(attrs["src"])
            else:
                self._in_script = []
        elif tag == "link":
            self.sources.append(attrs["href"])
        elif tag == "style":
            self.styles_inline += 1
        if "style" in attrs:
            self.styles_inline += 1

    def handle_data(self, data):
        if self._in_script is not None:
            self._in_script.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._in_script is not None:
            self.inline_scripts.append("".join(self._in_script))
            self._in_script = None


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_swagger_ui_loads_only_same_origin_assets_under_its_csp(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    policy = assert_secured(response.headers)
    page = PageParser()
    page.feed(response.get_data(as_text=True))
    assert len(page.sources) == 3 and page.styles_inline == 0
    for source in page.sources:  # same origin: a path on this host, never another host (or //host)
        parts = urlsplit(source)
        assert not parts.scheme and not parts.netloc and source.startswith("/api/v1/docs/assets/"), source
        asset = client.get(source)
        assert asset.status_code == 200 and asset.content_length > 1000, source
        assert_secured(asset.headers)
    # The one inline bootstrap script runs by its hash; nothing else inline, no eval.
    assert len(page.inline_scripts) == 1 and "SwaggerUIBundle(config)" in page.inline_scripts[0]
    assert policy["script-src"] == ["'self'", sha256_source(page.inline_scripts[0])]
    assert policy["style-src"] == ["'self'"] and policy["style-src-attr"] == ["'unsafe-inline'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert set(policy) == {"default-src", "script-src", "style-src", "style-src-attr", "img-src", "base-uri",
                           "frame-ancestors"}
    # The online validator badge (an image from validator.swagger.io) is off: nothing leaves the origin.
    assert '"validatorUrl": null' in page.inline_scripts[0]


def test_a_docs_hash_permits_only_the_page_it_was_made_for(client):
    from web.headers import docs_csp

    page = client.get("/api/v1/docs").get_data(as_text=True)
    tampered = page.replace("SwaggerUIBundle(config)", "SwaggerUIBundle(config); alert(1)")
    assert docs_csp(page) != docs_csp(tampered)
    assert client.get("/api/v1/openapi.json").headers["Content-Security-Policy"] == \
        "default-src 'self'; base-uri 'none'; frame-ancestors 'none'"


def raw_request(port: int, data: bytes) -> tuple[int, Headers]:
    """Send `data` as is; returns (status, headers as sent, case kept)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    lines = received.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    return int(lines[0].split()[1]), Headers([tuple(line.split(": ", 1)) for line in lines[1:]])


def test_answers_waitress_writes_itself_have_the_security_headers(waitress_port):  # noqa: F811
    status, headers = raw_request(waitress_port, GARBAGE["a malformed request line"][0])
    assert status == 400 and headers["X-Request-ID"].startswith("req_")
    assert_secured(headers)
    status, headers = raw_request(waitress_port, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status == 200
    assert_secured(headers)


def test_answers_gunicorn_writes_itself_have_the_security_headers(gunicorn_port):  # noqa: F811
    for case in ("a malformed request line", "a malformed method"):
        status, headers = raw_request(gunicorn_port, GARBAGE[case][0])
        assert status == GARBAGE[case][1] and headers["X-Request-ID"].startswith("req_")
        assert_secured(headers)
    status, headers = raw_request(gunicorn_port, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status == 200
    assert_secured(headers)


# CORS -----------------------------------------------------------------------------------------

@pytest.fixture()
def cors_client(app, settings):
    """A client of an app whose settings allow `ORIGIN` (and a second origin)."""
    from web import create_app

    allowing = create_app(dataclasses.replace(settings, cors_origins=(ORIGIN, "http://localhost:3000")))
    allowing.config["TESTING"] = True
    yield allowing.test_client()
    config.override(settings)


def cors_headers(headers) -> dict:
    return {key: value for key, value in headers.items() if key.lower().startswith("access-control-")}


def test_an_allowed_origin_may_read_answers_with_credentials(cors_client):
    response = cors_client.get("/api/v1/health", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    exposed = {h.strip().lower() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"location", "retry-after", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "etag",
            "x-request-id"} <= exposed
    assert "Origin" in response.headers.get("Vary", "")
    assert_secured(response.headers)
    error = cors_client.get("/api/v1/products/prod_missing", headers={"Origin": ORIGIN})
    assert error.status_code == 404 and error.headers["Access-Control-Allow-Origin"] == ORIGIN


@pytest.mark.parametrize("origin", ["https://evil.example.com", "https://shop.example.com.evil.test",
                                    "https://evil.shop.example.com", "http://shop.example.com", "null",
                                    "https://shop.example.com:8443"])
def test_other_origins_get_no_cors_headers(cors_client, origin):
    response = cors_client.get("/api/v1/health", headers={"Origin": origin})
    assert response.status_code == 200 and cors_headers(response.headers) == {}
    preflight = cors_client.options("/api/v1/cart", headers={"Origin": origin,
                                                             "Access-Control-Request-Method": "POST"})
    assert cors_headers(preflight.headers) == {}


def test_a_request_without_origin_gets_no_cors_headers(cors_client):
    assert cors_headers(cors_client.get("/api/v1/health").headers) == {}


def test_a_preflight_from_an_allowed_origin_is_answered(cors_client):
    response = cors_client.options("/api/v1/cart", headers={
        "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key, x-evil"})
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert allowed == {"authorization", "content-type", "idempotency-key"}
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    for header in ("Prefer", "Last-Event-ID", "x-api-key", "x-app-secret"):
        answer = cors_client.options("/api/v1/jobs", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET",
                                                              "Access-Control-Request-Headers": header})
        assert answer.headers["Access-Control-Allow-Headers"].lower() == header.lower()


def test_no_origin_is_allowed_when_the_list_is_empty(client, settings):
    assert settings.cors_origins == ()
    response = client.get("/api/v1/health", headers={"Origin": ORIGIN})
    assert response.status_code == 200 and cors_headers(response.headers) == {}
    assert "Origin" not in response.headers.get("Vary", "")
    preflight = client.options("/api/v1/cart", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert cors_headers(preflight.headers) == {}
