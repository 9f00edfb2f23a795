"""The flask-smorest `Api`, documenting the error envelope as the default error, and the
index from a matched URL rule to its documented OpenAPI operation (its query parameters and
security, which web.request_checks and web.security enforce)."""

from __future__ import annotations

import re

from flask import current_app, request
from flask_smorest import Api as SmorestApi

from web.schemas import ErrorEnvelopeSchema

_RULE_PARAMETER = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


def openapi_path(rule: str) -> str:
    """A Flask rule as its OpenAPI path: `/products/<product:product_id>` -> `/products/{product_id}`."""
    return _RULE_PARAMETER.sub(r"{\1}", rule)


class Api(SmorestApi):
    """flask-smorest Api whose documented error payload is Cartwheel's envelope."""

    ERROR_SCHEMA = ErrorEnvelopeSchema

    def init_app(self, app, *args, **kwargs):
        super().init_app(app, *args, **kwargs)
        app.extensions["cartwheel_api"] = self
        self._operations: dict | None = None

    def operations(self) -> dict[tuple[str, str], dict]:
        """(OpenAPI path, lower-case method) -> the operation as documented, path-level
        parameters included (built once, from the finished document)."""
        if self._operations is None:
            index = {}
            for path, item in self.spec.to_dict()["paths"].items():
                shared = item.get("parameters", [])
                for method, operation in item.items():
                    if method != "parameters" and isinstance(operation, dict):
                        index[(path, method)] = dict(operation, parameters=[*shared, *operation.get("parameters", [])])
            self._operations = index
        return self._operations


def current_operation() -> dict | None:
    """The documented operation the current request was routed to (HEAD reads as GET); None
    for OPTIONS, unmatched URLs and routes outside the document (docs, assets)."""
    api = current_app.extensions.get("cartwheel_api")
    if api is None or request.url_rule is None or request.method == "OPTIONS":
        return None
    method = "get" if request.method == "HEAD" else request.method.lower()
    return api.operations().get((openapi_path(request.url_rule.rule), method))


def documented_query_parameters(operation: dict) -> set[str]:
    """Names of the query parameters `operation` documents."""
    return {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
