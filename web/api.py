"""The flask-smorest `Api`, documenting the error envelope as the default error, and the
index from a matched URL rule to its documented OpenAPI operation (its query parameters and
security, which web.request_checks and web.security enforce).

What the document says about values matches what the API accepts:
- every string (body fields, query and path parameters) and every object key is documented
  with the pattern `^[^\\u0000]*$`: NUL characters are refused everywhere (web.request_checks);
- a schema class may add JSON Schema keywords that fields cannot express (e.g. "exactly one
  of a and b" as `oneOf`) in a `JSON_SCHEMA` class attribute;
- `ShopCurrency` fields document the shop's currency (settings.currency);
- every operation documents 429 (`RATE_LIMITED`: the rate limits and the login backoff, see
  web.limits), besides its own responses and the default error.

The document is built once per process and document key (`Api(app, document_key=...)`, which
`web.create_app` makes of what the document depends on: the shop currency and the resource
modules): a later app with the same key (gunicorn's workers, each test's app) reuses the finished
APISpec instead of rebuilding it from every blueprint (about 0.4 s of each `create_app`).
"""

from __future__ import annotations

import copy
import re
import threading

from apispec import BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import current_app, request
from flask_smorest import Api as SmorestApi
from flask_smorest.spec import openapi_cli
from flask_smorest.spec.plugins import unicodeconverter2paramschema
from flask_smorest.utils import prepare_response
from marshmallow import fields
from werkzeug.routing import UnicodeConverter

import config
from web.limits import RATE_LIMITED_RESPONSE
from web.schemas import ErrorEnvelopeSchema, ShopCurrency

_RULE_PARAMETER = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")
NO_NUL = "^[^\\u0000]*$"  # JSON Schema (ECMA-262) pattern: no NUL character
NO_NUL_SEGMENT = "^[^/\\u0000]+$"  # one path segment without NUL


class DocumentingMarshmallowPlugin(MarshmallowPlugin):
    """apispec's marshmallow plugin, adding a schema class's `JSON_SCHEMA` keywords to its component."""

    def schema_helper(self, name, _, schema=None, **kwargs):
        json_schema = super().schema_helper(name, _, schema=schema, **kwargs)
        extra = getattr(resolve_schema_cls(schema), "JSON_SCHEMA", None) if schema is not None else None
        if json_schema is not None and extra:
            json_schema = {**json_schema, **copy.deepcopy(extra)}
        return json_schema


class CommonResponsesPlugin(BasePlugin):
    """apispec plugin: every operation also documents the responses any request may get (429)."""

    RESPONSES = {"429": "RATE_LIMITED"}  # status -> response component

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            if isinstance(operation, dict):
                responses = operation.setdefault("responses", {})
                for status, component in self.RESPONSES.items():
                    if status not in responses and int(status) not in responses:
                        responses[status] = component


def storable_values(self, field, ret, **kwargs) -> dict:
    """apispec attribute function: strings without a pattern, enum or format get the no-NUL
    pattern, dict keys too; `ShopCurrency` documents the shop's currency, any case."""
    if isinstance(field, ShopCurrency):
        currency = config.get().currency
        return {"pattern": "^" + "".join(f"[{c.upper()}{c.lower()}]" for c in currency) + "$",
                "description": f"the shop currency, {currency}"}
    types = ret.get("type")
    types = types if isinstance(types, list) else [types]
    if "string" in types and not {"pattern", "enum", "const"} & set(ret) and ret.get("format") in (None, "url"):
        return {"pattern": NO_NUL}  # (formats such as email or date-time exclude NUL by themselves)
    if isinstance(field, fields.Dict):
        return {"propertyNames": {"pattern": NO_NUL}}
    return {}


def openapi_path(rule: str) -> str:
    """A Flask rule as its OpenAPI path: `/products/<product:product_id>` -> `/products/{product_id}`."""
    return _RULE_PARAMETER.sub(r"{\1}", rule)


class _Document:
    """A finished OpenAPI document: the APISpec, its plugins and the operation index."""

    def __init__(self, spec, flask_plugin, ma_plugin):
        self.spec, self.flask_plugin, self.ma_plugin = spec, flask_plugin, ma_plugin
        self.operations: dict | None = None


_DOCUMENTS: dict[object, _Document] = {}  # document key -> the document finished under it
_DOCUMENTS_LOCK = threading.Lock()


class Api(SmorestApi):
    """flask-smorest Api whose documented error payload is Cartwheel's envelope.

    `document_key`: what the document depends on besides the code (hashable); None builds the
    document afresh. With a key whose document `finish_document()` has stored, the Api reuses it:
    `documenting` is False, blueprints are registered in the app only, and whatever the caller
    adds to `spec` is skipped (it is already there).
    """

    ERROR_SCHEMA = ErrorEnvelopeSchema

    def __init__(self, app=None, *, document_key=None, **kwargs):
        self._document_key = document_key
        self._document: _Document | None = None
        self._building = False
        super().__init__(app, **kwargs)

    @property
    def documenting(self) -> bool:
        """True while this Api builds its own document (False when it reuses a finished one)."""
        return self._building

    def _init_spec(self, **kwargs):
        with _DOCUMENTS_LOCK:
            finished = _DOCUMENTS.get(self._document_key) if self._document_key is not None else None
        if finished is not None:
            self._document, self._building = finished, False
            self.spec, self.flask_plugin, self.ma_plugin = finished.spec, finished.flask_plugin, finished.ma_plugin
            self._app.cli.add_command(openapi_cli)
            return
        self._building = True
        kwargs.setdefault("marshmallow_plugin", DocumentingMarshmallowPlugin())
        kwargs["extra_plugins"] = [*(kwargs.get("extra_plugins") or ()), CommonResponsesPlugin()]
        super()._init_spec(**kwargs)
        self.ma_plugin.converter.add_attribute_function(storable_values)
        rate_limited = dict(RATE_LIMITED_RESPONSE)
        prepare_response(rate_limited, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
        self.spec.components.response("RATE_LIMITED", rate_limited, lazy=True)
        self._document = _Document(self.spec, self.flask_plugin, self.ma_plugin)

    def register_blueprint(self, blp, *, parameters=None, **options):
        """flask-smorest's, documenting the blueprint only while building the document."""
        if self.documenting:
            return super().register_blueprint(blp, parameters=parameters, **options)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][options.get("name", blp.name)] = self
        self._app.register_blueprint(blp, **options)
        return None

    def finish_document(self) -> None:
        """Store the document just built under the document key, for later apps to reuse
        (call once every blueprint and component is in; no-op without a key or when reused)."""
        if self._building and self._document_key is not None:
            with _DOCUMENTS_LOCK:
                _DOCUMENTS.setdefault(self._document_key, self._document)
        self._building = False

    def init_app(self, app, *args, **kwargs):
        super().init_app(app, *args, **kwargs)
        app.extensions["cartwheel_api"] = self
        self.register_converter(UnicodeConverter,
                                lambda converter: dict(unicodeconverter2paramschema(converter), pattern=NO_NUL_SEGMENT))

    def operations(self) -> dict[tuple[str, str], dict]:
        """(OpenAPI path, lower-case method) -> the operation as documented, path-level
        parameters included (built once per document, from the finished document)."""
        if self._document.operations is None:
            index = {}
            for path, item in self.spec.to_dict()["paths"].items():
                shared = item.get("parameters", [])
                for method, operation in item.items():
                    if method != "parameters" and isinstance(operation, dict):
                        index[(path, method)] = dict(operation, parameters=[*shared, *operation.get("parameters", [])])
            self._document.operations = index
        return self._document.operations


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
