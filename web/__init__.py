"""Flask application factory: `create_app()` (also what `flask --app web` finds)."""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path

from flask import Flask, g, send_from_directory

import config
from models.db import database
from services.platform import jobs as job_records  # (not `jobs`: importing web.jobs would shadow it)
from services.platform import logs
from web import (audit_trail, compression, cors, errors, headers, limits, metrics, permissions, request_checks,
                 realtime_socket, routing, sse)
from web.api import Api, current_operation
from web.schemas import AddressSchema
from web.security import authenticate_as_declared

# One blueprint module per resource (sub-resources of /products in their own `product_*` modules);
# each exposes `blp` (and optionally `admin_blp`).
RESOURCE_MODULES = ["health", "auth", "otp", "sessions", "account_recovery", "products", "product_stock",
                    "product_reviews", "product_recommendations", "product_stock_updates", "imports", "carts",
                    "checkout", "orders", "webhooks", "jobs", "streams", "notifications", "preferences", "loyalty",
                    "wishlist", "reviews", "review_admin", "recommendations", "fraud_rules", "fraud_reviews",
                    "fraud_assessments", "fraud_models", "admin_users", "audit_log", "cache_admin", "api_keys",
                    "mfa", "profile", "addresses", "customers", "metrics", "account_data", "categories", "seo",
                    "inventory", "product_collections", "product_search", "search", "purchasing",
                    "warehouses", "promos", "deliveries", "analytics", "payments", "one_click",
                    "disputes", "shipping", "homepage", "recipes", "product_recipes", "videos",
                    "realtime", "stores", "store_fulfillment", "wallet", "earn"]

MAX_BODY_BYTES = 10 * 1024 * 1024


def _swagger_assets_dir() -> str:
    import swagger_ui_bundle

    return str(next((Path(swagger_ui_bundle.__file__).parent / "vendor").glob("swagger-ui-*")))


def create_app(settings: config.Settings | None = None) -> Flask:
    """Build the API for `settings` (default: from the environment).

    Binds the database, installs the broker and declares actors (see
    `workers.bootstrap`), registers every blueprint, the error envelope and the
    local Swagger UI. Raises config.ConfigError for bad settings.
    """
    settings = settings or config.get()
    config.override(settings)
    if not logs.is_configured():  # gunicorn.conf.py, web.serve and the worker entry points configure their own
        logs.configure("api", logs.json_default(settings.env))
    from workers.bootstrap import bootstrap

    bootstrap(settings)
    from workers.dispatch import dispatch_created

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        API_TITLE="Cartwheel",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/api/v1/docs/assets/",
        API_SPEC_OPTIONS={
            "info": {"description": "Cartwheel: an e-commerce backend built around a job queue. "
                                    "Money is in integer minor units of `currency`."},
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                                              "bearerFormat": "JWT"}}},
        },
        JSON_SORT_KEYS=False,
    )
    app.json.sort_keys = False
    api = Api(app, document_key=(settings.currency, tuple(RESOURCE_MODULES)))
    errors.install(app)
    metrics.install(app)  # its hooks run first: timing, request id in the log context, the scrape token
    compression.install(app)  # compresses after every later hook (audit, headers...) has seen the JSON body
    limits.install(app)
    headers.install(app)
    cors.install(app, settings.cors_origins)
    sse.install(app)
    routing.install(app, api)
    if api.documenting:
        api.spec.components.schema("Address", schema=AddressSchema)  # referenced by SameOrAddress's oneOf

    for name in RESOURCE_MODULES:
        module = importlib.import_module(f"web.{name}")
        api.register_blueprint(module.blp)
        for extra in ("admin_blp", "root_blp"):  # admin routes; routes at the site root (/sitemap.xml)
            if hasattr(module, extra):
                api.register_blueprint(getattr(module, extra))

    if api.documenting:
        sse.register_event_schemas(api)
    api.finish_document()

    assets = _swagger_assets_dir()

    @app.get("/api/v1/docs/assets/<path:filename>")
    def swagger_assets(filename):
        return send_from_directory(assets, filename, max_age=86400)

    @app.before_request
    def check_request_and_collect_jobs():
        rejected = request_checks.check_request()
        if rejected is not None:
            return rejected
        operation = current_operation()
        if operation is not None:
            rejected = request_checks.check_query_parameters(operation)
            if rejected is not None:
                return rejected
            authenticate_as_declared(operation)
            permissions.enforce_route_permission(operation)
            rejected = request_checks.check_request_body(operation)
            if rejected is not None:
                return rejected
        # No explicit connect: peewee opens (or takes from the pool) a connection on the
        # first query, so requests that never touch the database (cached reads) skip it.
        g.created_jobs_token = job_records.collect_created()
        return None

    audit_trail.install(app)  # after the authentication hook above

    @app.after_request
    def dispatch_created_jobs(response):
        """Send the jobs this request's services wrote (events, children) once committed.
        After an error the transaction rolled back; anything committed is left to the relay."""
        token = g.pop("created_jobs_token", None)
        if token is not None:
            created = job_records.drain_created(token)
            if response.status_code < 400:
                dispatch_created(created)
        return response

    @app.teardown_request
    def close_db(exc):
        if not database.is_closed():
            database.close()

    realtime_socket.install(app, settings)  # Socket.IO at /socket.io, in front of the Flask app

    from web.cli import register_cli

    register_cli(app)
    if "gunicorn" in sys.modules:  # a gunicorn worker: its own error answers in the envelope too
        from web.server_errors import install_gunicorn

        install_gunicorn()
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    return app
