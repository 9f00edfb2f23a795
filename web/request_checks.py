"""Checks every request passes before a view runs, each answered in the error envelope:

- a body the server cannot deliver (malformed chunked encoding under gunicorn): 400;
- NUL characters in the path, the query string or form fields: 400 (PostgreSQL cannot
  store them; JSON bodies are checked below, schemas check again);
- a body on POST/PUT/PATCH that is not JSON (except the CSV and avatar uploads and provider webhooks): 415;
- a JSON body nested more than `MAX_JSON_DEPTH` levels of arrays and objects: 400
  `json_too_deep` (deeper bodies exhaust Python's recursion limit in the JSON parser and in
  everything that walks the parsed value); measured on the raw text before it is parsed;
- a JSON body with a string (value or key) holding a NUL character or an unpaired UTF-16
  surrogate (`"\\ud800"`; neither SQLite nor PostgreSQL can store one): 422, naming each field,
  as the schemas do (web.schemas.CamelSchema) - this covers routes without a schema too;
- a query parameter the operation does not document: 400 `unknown_query_parameters`, each
  named (as unknown body fields are), also on operations that document none at all;
- no body where the operation documents a required one: 422 `body_required` (webargs would
  read a missing JSON body as `{}`); operations whose body is optional say `required: false`.
"""

from __future__ import annotations

import re

from flask import request
from werkzeug.exceptions import HTTPException

from web.api import documented_query_parameters
from web.errors import error_response
from web.schemas import bad_string_paths

JSON_BODY_METHODS = ("POST", "PUT", "PATCH")
NON_JSON_PREFIXES = ("/api/v1/admin/imports", "/api/v1/webhooks",  # CSV uploads; providers' own formats
                     "/api/v1/users/upload-avatar")  # multipart image upload
# review photos and videos; proof-of-delivery photos; shoppable video uploads; store logos and banners
MULTIPART_UPLOAD = re.compile(r"^/api/v1/(?:reviews/[^/]+/media|orders/[^/]+/delivery/proof|videos"
                              r"|stores/[^/]+/(?:logo|banner))$")
MAX_JSON_DEPTH = 32

_STRING = re.compile(rb'"(?:[^"\\]+|\\.)*"', re.DOTALL)
_OPEN_CLOSE = bytes.maketrans(b"{}", b"[]")  # depth does not care which kind of bracket
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


def json_depth_exceeds(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text `raw` nests arrays/objects more than `limit` levels deep.

    Recursion-free, and linear in C: string literals are dropped, only the brackets are kept
    (as `[` and `]`), and the innermost level of pairs (`[]`) is removed `limit` times;
    brackets left over mean a deeper nesting. (Text that is not JSON is left to the parser:
    unbalanced brackets stop the count.)
    """
    brackets = _STRING.sub(b"", raw).translate(_OPEN_CLOSE, _NOT_BRACKETS)
    if b"[" * (limit + 1) in brackets:  # the common deep shape, found at once
        return True
    for _ in range(limit):
        if not brackets:
            return False
        reduced = brackets.replace(b"[]", b"")
        if len(reduced) == len(brackets):  # unbalanced: not JSON, the parser will say so
            return False
        brackets = reduced
    return bool(brackets)


def _is_json_body() -> bool:
    return request.method in JSON_BODY_METHODS and request.is_json and bool(request.content_length or
                                                                             request.get_data(cache=True))


def _body_unreadable():
    return error_response(400, "VALIDATION_ERROR", "The request body could not be read",
                          [{"field": "body", "message": "Malformed chunked encoding or a truncated body"}],
                          reason="unreadable_body")


def check_request():
    """Run the checks above on the current request: an error response, or None to go on.
    A body the server cannot deliver (gunicorn raises its parse errors for a malformed chunked
    body while the app reads it) is 400 `unreadable_body`."""
    try:
        fields = [*request.args.items(multi=True), *request.form.items(multi=True)]  # parses a form body
        if _is_json_body():
            request.get_data(cache=True)
    except HTTPException:
        raise  # 413 and the like answer as themselves
    except Exception:  # noqa: BLE001 - the input stream failed: the client's body, not our code
        return _body_unreadable()
    if "\x00" in request.path or any("\x00" in k or "\x00" in v for k, v in fields):
        return error_response(400, "VALIDATION_ERROR", "NUL characters are not allowed",
                              [{"field": "request", "message": "Remove NUL (0x00) characters"}])
    if request.method in JSON_BODY_METHODS and request.content_length and not request.is_json \
            and not request.path.startswith(NON_JSON_PREFIXES) and not MULTIPART_UPLOAD.match(request.path):
        return error_response(415, "VALIDATION_ERROR", "Content-Type must be application/json",
                              [{"field": "Content-Type", "message": "Use application/json"}])
    if _is_json_body():
        raw = request.get_data(cache=True)
        if json_depth_exceeds(raw):
            return error_response(400, "VALIDATION_ERROR", "The JSON body is nested too deeply",
                                  [{"field": "body", "message": f"At most {MAX_JSON_DEPTH} levels of arrays "
                                                                "and objects"}], reason="json_too_deep")
        body = request.get_json(silent=True)
        if body is not None:
            details = [{"field": path, "message": message} for path, message in bad_string_paths(body)]
            if details:
                return error_response(422, "VALIDATION_ERROR", "Invalid input data", details)
    return None


def check_query_parameters(operation: dict):
    """400 naming every query parameter `operation` does not document, or None."""
    documented = documented_query_parameters(operation)
    unknown = [name for name in dict.fromkeys(request.args) if name not in documented]
    if not unknown:
        return None
    allowed = ", ".join(sorted(documented)) or "none"
    return error_response(400, "VALIDATION_ERROR", f"Unknown query parameters: {', '.join(unknown)[:200]}",
                          [{"field": name[:100], "message": f"Unknown field. Query parameters here: {allowed}"}
                           for name in unknown[:20]], reason="unknown_query_parameters")


def _has_body() -> bool:
    if request.content_length:
        return True
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower() and bool(request.get_data(cache=True))


def check_request_body(operation: dict):
    """422 when `operation` documents a required request body and none was sent, or None."""
    if not (operation.get("requestBody") or {}).get("required") or _has_body():
        return None
    return error_response(422, "VALIDATION_ERROR", "A request body is required",
                          [{"field": "body", "message": "Send a JSON body (see the operation's requestBody)"}],
                          reason="body_required")
