"""Request telemetry: `GET /api/v1/metrics/prometheus` and the hooks that measure and log each request.

The route answers the Prometheus text exposition format (`text/plain; version=0.0.4`, see
`services.platform.metrics`) to staff and admins (`Authorization: Bearer <JWT>`) and to a
scraper holding the scrape token: `Authorization: Bearer <token>` equal to
`METRICS_SCRAPE_TOKEN` (read from the environment at each scrape; unset: no token works),
compared in constant time (`hmac.compare_digest`). A scrape with the token is answered
before the rate limits and the JWT check; any other bearer value goes on to the JWT check,
so a wrong token is a 401 (and counted by the rate limits) and a customer's JWT a 403, in
the error envelope.

`install(app)` adds, ahead of every other request hook:
- timing and the in-flight gauge (`request_started` / `request_finished`);
- `request_id` bound to the log context of the request's thread (every line it logs
  carries it; web.request_info makes or accepts the id);
- after each request: `cartwheel_http_requests_total{method,route,status}` and
  `cartwheel_http_request_duration_seconds{method,route}`, where route is the URL rule with
  converter names dropped (`/api/v1/products/<product_id>`; `unmatched` when no rule
  matched, so raw paths never become labels), and one `http_request` log line (logger
  `cartwheel.http`) with method, route, status, duration_ms and, once the request
  authenticated, user_id (and api_key_id). The raw path and query are not logged: some
  carry capabilities (shared wishlist tokens, account links).
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import time

from flask import Flask, Response, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from services.platform import logs, metrics
from web.request_info import request_id
from web.security import BEARER_SECURITY, require_staff

SCRAPE_TOKEN_ENV = "METRICS_SCRAPE_TOKEN"
ENDPOINT = "metrics.PrometheusMetrics"
_CONVERTER = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")

request_log = logging.getLogger("cartwheel.http")

blp = Blueprint("metrics", __name__, url_prefix="/api/v1/metrics",
                description="Prometheus metrics (staff, admin, or the scrape token)")


def route_label(rule: str | None) -> str:
    """The `route` label of a URL rule: converters dropped (`<product:product_id>` -> `<product_id>`);
    `unmatched` for None (no rule matched)."""
    return _CONVERTER.sub(r"<\1>", rule) if rule else "unmatched"


def _exposition() -> Response:
    return Response(metrics.exposition(), status=200, mimetype=None, content_type=metrics.CONTENT_TYPE,
                    headers={"Cache-Control": "no-store"})


def scrape_token_matches() -> bool:
    """True when the request carries `Authorization: Bearer <METRICS_SCRAPE_TOKEN>` (constant-time
    comparison); False when the variable is unset or empty."""
    expected = os.environ.get(SCRAPE_TOKEN_ENV, "")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


EXPOSITION_DOC = ("The Prometheus text exposition format (`text/plain; version=0.0.4`): HTTP requests by route, "
                  "job attempts by type and outcome, job latency and queue wait, queue depth, outbox lag, catalog "
                  "cache and notification counters. A scraper authenticates with "
                  "`Authorization: Bearer <METRICS_SCRAPE_TOKEN>`.")


@blp.route("/prometheus")
class PrometheusMetrics(MethodView):
    @blp.response(200, description=EXPOSITION_DOC, content_type="text/plain")
    @blp.doc(security=BEARER_SECURITY, responses={"200": {  # flask-smorest leaves out a schemaless response's content
        "description": EXPOSITION_DOC, "content": {"text/plain": {"schema": {"type": "string"}}}}})
    def get(self):
        """Prometheus metrics of every API and worker process (staff, admin, or the scrape token)."""
        require_staff()
        return _exposition()


# --------------------------------------------------------------------------- request hooks


def _start():
    logs.clear()
    g._metrics_started = time.perf_counter()
    metrics.request_started()
    logs.bind(request_id=request_id())
    return None


def _answer_scraper():
    if request.endpoint == ENDPOINT and request.method in ("GET", "HEAD") and scrape_token_matches():
        g._metrics_scraper = True
        return _exposition()
    return None


def _observe(response):
    started = g.get("_metrics_started")
    if started is None:
        return response
    seconds = time.perf_counter() - started
    route = route_label(request.url_rule.rule if request.url_rule is not None else None)
    metrics.observe_request(request.method, route, response.status_code, seconds)
    fields = {"method": request.method, "route": route, "status": response.status_code,
              "duration_ms": round(seconds * 1000, 2)}
    user = g.get("_current_user")  # set by web.security once the request authenticated; never authenticates here
    if user is not None:
        fields["user_id"] = user.id
    key = g.get("_api_key")
    if key is not None:
        fields["api_key_id"] = key.id
    if g.get("_metrics_scraper"):
        fields["scraper"] = True
    request_log.info("http_request", extra=fields)
    return response


def _finish(exc):
    if g.pop("_metrics_started", None) is not None:
        metrics.request_finished()
    logs.clear()


def install(app: Flask) -> None:
    """Measure and log every request of `app`: the timing hook and the scrape-token answer run
    before any other before-request hook (rate limits, authentication), the measurement after
    the response is built, the in-flight count and log context end at teardown."""
    app.before_request_funcs.setdefault(None, [])[:0] = [_start, _answer_scraper]
    app.after_request_funcs.setdefault(None, []).insert(0, _observe)  # they run in reverse: this one last
    app.teardown_request(_finish)
