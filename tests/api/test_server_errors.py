"""Answers the HTTP server gives itself (a malformed request line, garbage in a header, limits,
a broken chunked body) come in the error envelope too: waitress as `make run` serves, and
gunicorn as production does."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import free_port, wait_for_port

CRLF = b"\r\n"
GARBAGE = {  # raw request -> the status the server answers itself
    "a NUL character in a header": (b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Bad: a\x00b\r\n\r\n", 400),
    "a control character in a header name": (b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX\x01Y: 1\r\n\r\n", 400),
    "a malformed request line": (b"GARBAGE\r\n\r\n", 400),
    "a malformed method": (b"G@T /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "a malformed HTTP version": (b"GET /api/v1/health HTTP/9.z\r\nHost: x\r\n\r\n", 400),
    "headers over the limit": (b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 300_000 + b"\r\n\r\n",
                               431),
    "a malformed chunked body": (b"POST /api/v1/cart HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                 b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400),
}


def raw_request(port: int, data: bytes) -> tuple[int, dict, bytes]:
    """Send `data` as is; returns (status, lower-case headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(data)
        except OSError:
            pass  # the server may answer and close before reading everything
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    head, _, body = received.partition(CRLF + CRLF)
    lines = head.split(CRLF)
    headers = dict(line.decode("latin-1").lower().split(": ", 1) for line in lines[1:] if b": " in line)
    return int(lines[0].split()[1]), headers, body


def assert_server_envelope(status, headers, body, expected):
    assert status == expected, body
    assert headers["content-type"] == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] and error["message"] and error["requestId"].startswith("req_")
    assert headers["x-request-id"] == error["requestId"]
    assert isinstance(error["details"], list)


@pytest.fixture()
def waitress_port(app):
    """The app behind waitress, set up as web.serve does; the port it listens on."""
    from waitress import create_server

    from web.server_errors import use_json_errors

    server = create_server(app, host="127.0.0.1", port=0, threads=2, ident="cartwheel")
    use_json_errors(server)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield server.effective_port
    server.close()
    thread.join(timeout=5)


@pytest.mark.parametrize("case", GARBAGE)
def test_waitress_answers_garbage_in_the_envelope(waitress_port, case):
    data, expected = GARBAGE[case]
    assert_server_envelope(*raw_request(waitress_port, data), expected)


def test_waitress_still_serves_the_app(waitress_port):
    status, headers, body = raw_request(waitress_port, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n"
                                                       b"Connection: close\r\n\r\n")
    assert status == 200 and json.loads(body)["status"] == "ok"


@pytest.fixture()
def gunicorn_port(app, settings, tmp_path):
    """`gunicorn -k gthread 'web:create_app()'` (as `make serve`) on this test's database."""
    port = free_port()
    env = {**os.environ, "CARTWHEEL_ENV": "test", "DATABASE_URL": settings.database_url, "BROKER_URL": "stub://",
           "REDIS_URL": "", "SECRET_KEY": settings.secret_key, "MODEL_DIR": str(tmp_path / "models"),
           "MEDIA_DIR": str(tmp_path / "media"), "GUNICORN_CMD_ARGS": ""}
    log = open(tmp_path / "gunicorn.log", "wb")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-k", "gthread", "--workers", "1",
                             "--threads", "2", "--bind", f"127.0.0.1:{port}", "--control-socket",
                             str(tmp_path / "gunicorn.ctl"), "web:create_app()"],
                            cwd=Path(__file__).resolve().parents[2], env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        wait_for_port(port, timeout=60)
        time.sleep(0.5)  # the worker boots after the master listens
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def test_gunicorn_answers_garbage_in_the_envelope(gunicorn_port):
    statuses = {"headers over the limit": 431}
    for case, (data, expected) in GARBAGE.items():
        assert_server_envelope(*raw_request(gunicorn_port, data), statuses.get(case, expected))
    status, _, body = raw_request(gunicorn_port, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status == 200, body


class BrokenStream:
    """A WSGI input that fails the way gunicorn's does on a malformed chunked body."""

    def read(self, *args):
        from gunicorn.http.errors import InvalidChunkSize

        raise InvalidChunkSize(b"zz")

    readline = read


def test_a_body_the_server_cannot_deliver_is_400_unreadable_body(client):
    # A chunked body has no length: the server's stream reaches the app unwrapped (wsgi.input_terminated).
    response = client.post("/api/v1/cart", content_type="application/json",
                           environ_overrides={"wsgi.input": BrokenStream(), "wsgi.input_terminated": True,
                                              "HTTP_TRANSFER_ENCODING": "chunked"})
    assert response.status_code == 400, response.get_data()
    assert response.get_json()["error"]["reason"] == "unreadable_body"


def test_validation_details_keep_a_body_field_named_like_a_request_location():
    from web.errors import _flatten

    messages = {"json": {"query": ["Not a valid string."], "items": {"0": {"form": ["Unknown field."]}}},
                "query": {"page": ["Must be >= 1."]}}
    assert _flatten(messages) == [{"field": "query", "message": "Not a valid string."},
                                  {"field": "items.0.form", "message": "Unknown field."},
                                  {"field": "page", "message": "Must be >= 1."}]
