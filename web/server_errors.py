"""The error envelope for answers the HTTP server gives itself, before the app sees a request:
a malformed request line, a NUL or other garbage in a header, headers or a body over the
server's limits (and, for waitress, an exception outside the app).

- waitress (`make run`, web.serve): its channels answer those through an `ErrorTask`;
  `JsonErrorChannel` uses `JsonErrorTask`, which writes the envelope instead of plain text.
- gunicorn (production): its workers write those answers with `gunicorn.util.write_error`
  (HTML); `install_gunicorn()`, called by `create_app()` when running under gunicorn,
  replaces it with `write_json_error`, which writes the envelope.

Both answer `{"error": {"code", "message", "details": [{"field": "request", "message"}],
"requestId"}}` with `Connection: close`, the status the server chose, an `X-Request-ID` and
the security headers every answer carries (`web.headers.security_headers()`: these answers
never pass through Flask's `after_request`).
"""

from __future__ import annotations

import json

from waitress.channel import HTTPChannel
from waitress.task import ErrorTask

from web.errors import CODES
from web.headers import security_headers
from web.request_info import new_request_id

MAX_DETAIL = 300


def envelope(status: int, reason: str, detail: str) -> tuple[bytes, str]:
    """The JSON body of a server-made error answer and its request id."""
    request_id = new_request_id()
    code = CODES.get(status) or ("INTERNAL_ERROR" if status >= 500 else "VALIDATION_ERROR")
    detail = " ".join(str(detail).split())[:MAX_DETAIL]
    body = {"error": {"code": code, "message": f"{reason}: the server could not read the request" if status < 500
                      else reason, "details": [{"field": "request", "message": detail}] if detail else [],
                      "requestId": request_id}}
    return json.dumps(body, ensure_ascii=True).encode(), request_id


class JsonErrorTask(ErrorTask):
    """waitress's error answer (parse errors, limits, internal errors) in the envelope."""

    def execute(self):
        error = self.request.error
        body, request_id = envelope(error.code, error.reason, error.body if error.code != 500 else "")
        self.status = f"{error.code} {error.reason}"
        self.response_headers.extend([("Content-Type", "application/json"), ("X-Request-ID", request_id),
                                      *security_headers()])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class JsonErrorChannel(HTTPChannel):
    """waitress's HTTP channel, answering its own errors with `JsonErrorTask`."""

    error_task_class = JsonErrorTask


def use_json_errors(server) -> None:
    """Make a waitress server (from `waitress.create_server`, one socket or several) answer its
    own errors in the envelope."""
    from waitress.server import BaseWSGIServer

    listeners = [server] if isinstance(server, BaseWSGIServer) else \
        [each for each in getattr(server, "map", {}).values() if isinstance(each, BaseWSGIServer)]
    for listener in listeners:
        listener.channel_class = JsonErrorChannel


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """Drop-in for `gunicorn.util.write_error`: the envelope instead of an HTML page."""
    from gunicorn import util

    body, request_id = envelope(status_int, reason, mesg if status_int != 500 else "")
    extra = "".join(f"{name}: {value}\r\n" for name, value in security_headers())
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"X-Request-ID: {request_id}\r\n{extra}Content-Length: {len(body)}\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin-1") + body)


def install_gunicorn() -> None:
    """Make this gunicorn worker write its own error answers in the envelope."""
    from gunicorn import util

    util.write_error = write_json_error
