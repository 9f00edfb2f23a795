"""The error envelope (seed 004) for every failure, and request ids.

Every error, whether a DomainError from a service, a marshmallow/webargs
validation failure, an HTTP error or an unexpected exception, is answered as
`{"error": {"code", "message", "details", "requestId"}}`. Unexpected
exceptions become INTERNAL_ERROR 500 with no detail (logged with the id).
"""

from __future__ import annotations

import logging

import peewee
from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from services.errors import DomainError
from web.request_info import request_id

log = logging.getLogger(__name__)

CODES = {
    400: "VALIDATION_ERROR", 401: "AUTHENTICATION_ERROR", 403: "AUTHORIZATION_ERROR",
    404: "RESOURCE_NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 410: "GONE",
    412: "PRECONDITION_FAILED", 413: "PAYLOAD_TOO_LARGE", 414: "URI_TOO_LONG", 415: "UNSUPPORTED_MEDIA_TYPE",
    417: "EXPECTATION_FAILED", 422: "VALIDATION_ERROR", 429: "RATE_LIMITED", 402: "PAYMENT_ERROR",
    431: "HEADERS_TOO_LARGE", 500: "INTERNAL_ERROR", 501: "NOT_IMPLEMENTED", 503: "SERVICE_UNAVAILABLE",
}


def error_response(status: int, code: str, message: str, details: list | None = None, reason: str | None = None,
                   headers: dict | None = None):
    """A Flask response carrying the error envelope."""
    body = {"code": code, "message": message, "details": details or [], "requestId": request_id()}
    if reason:
        body["reason"] = reason
    response = jsonify({"error": body})
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _flatten(messages, prefix="", top=True) -> list[dict]:
    """webargs/marshmallow messages -> [{"field": "a.b", "message": "..."}]. The outermost keys
    are webargs locations (`json`, `query`...) and dropped; below them every key is a field,
    including one named like a location (a body field `query`)."""
    details = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if top and key in ("json", "query", "form", "files", "headers", "view_args", "querystring"):
                details.extend(_flatten(value, "", top=False))
                continue
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                name = prefix or "body"
            details.extend(_flatten(value, name, top=False))
    elif isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            details.extend({"field": prefix or "body", "message": m} for m in messages)
        else:
            for item in messages:
                details.extend(_flatten(item, prefix, top=False))
    else:
        details.append({"field": prefix or "body", "message": str(messages)})
    return details


def _exception_headers(error: HTTPException) -> dict:
    """The headers an HTTP error carries besides its content type (`Allow` of a 405,
    `WWW-Authenticate`, `Retry-After`...), then any flask-smorest `abort(headers=...)`."""
    headers = {key: value for key, value in error.get_headers() if key.lower() != "content-type"}
    headers.update((getattr(error, "data", None) or {}).get("headers") or {})
    return headers


def handle_http_exception(error: HTTPException):
    """An HTTP error (routing, webargs/flask-smorest validation, abort) in the envelope."""
    data = getattr(error, "data", None) or {}
    status = error.code or 500
    headers = _exception_headers(error)
    messages = data.get("messages") or data.get("errors")
    if messages:
        details = _flatten(messages)
        return error_response(status, "VALIDATION_ERROR", "Invalid input data", details, headers=headers)
    message = data.get("message") or error.description or error.name
    if status >= 500:
        return error_response(500, "INTERNAL_ERROR", "Internal server error")
    details = []
    if status == 405 and headers.get("Allow"):
        details = [{"field": "method", "message": f"Allowed: {headers['Allow']}"}]
    return error_response(status, CODES.get(status, "VALIDATION_ERROR"), message, details, headers=headers)


def handle_domain_error(error: DomainError):
    return error_response(error.status, error.code, error.message, error.details, reason=error.reason)


def handle_operational_error(error: Exception):
    log.warning("database unavailable (request %s): %s", request_id(), error)
    return error_response(503, "SERVICE_UNAVAILABLE", "The database is busy or unavailable; retry shortly",
                          headers={"Retry-After": "1"})


def handle_unexpected(error: Exception):
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    log.exception("unhandled error (request %s)", request_id())
    return error_response(500, "INTERNAL_ERROR", "Internal server error")


def install(app: Flask) -> None:
    """Register the envelope handlers (after flask-smorest's, so they win) and the request-id echo."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(peewee.OperationalError, handle_operational_error)
    app.register_error_handler(peewee.InterfaceError, handle_operational_error)
    app.register_error_handler(Exception, handle_unexpected)

    @app.after_request
    def echo_request_id(response):
        response.headers["X-Request-ID"] = request_id()
        return response
