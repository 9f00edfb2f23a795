"""Fake SendGrid and Twilio HTTP servers for the official SDKs, and settings pointing at them.

`FakeProviderServer` (a loopback HTTP server) records every request and answers from a queue
of canned answers; the `sendgrid_server` / `twilio_server` fixtures start one each (import
them into a test module to use them); `with_providers` points this process's settings at them.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import config

TWILIO_SID = "AC" + "0" * 32
TWILIO_TOKEN = "twilio-test-token"


class FakeProviderServer:
    """Records requests; answers from `responses` (a queue of (status, json, headers)), then `default`."""

    def __init__(self, default):
        self.requests: list[dict] = []
        self.responses: list[tuple] = []
        self.default = default
        self.delay = 0.0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server naming)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                server.requests.append({"method": "POST", "path": self.path, "headers": dict(self.headers),
                                        "body": raw})
                if server.delay:
                    time.sleep(server.delay)
                status, body, headers = server.responses.pop(0) if server.responses else server.default
                payload = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


SENDGRID_OK = (202, None, {"X-Message-Id": "sg-message-1"})


def twilio_created(sid="SM" + "1" * 32):
    return (201, {"sid": sid, "status": "queued", "account_sid": TWILIO_SID, "body": "x",
                  "date_created": "Mon, 01 Jan 2025 00:00:00 +0000", "num_segments": "1"}, None)


@pytest.fixture()
def sendgrid_server():
    server = FakeProviderServer(SENDGRID_OK)
    yield server
    server.close()


@pytest.fixture()
def twilio_server():
    server = FakeProviderServer(twilio_created())
    yield server
    server.close()


def with_providers(settings, monkeypatch, sendgrid=None, twilio=None):
    """Point this process's settings at the fake servers (in-process code and the stub worker)."""
    changes = {}
    if sendgrid is not None:
        changes.update(sendgrid_api_key="SG.test-key", sendgrid_api_host=sendgrid.url,
                       email_from="shop@cartwheel.test", email_provider="sendgrid")
    if twilio is not None:
        changes.update(twilio_account_sid=TWILIO_SID, twilio_auth_token=TWILIO_TOKEN, twilio_from="+15550001111",
                       twilio_api_base=twilio.url, sms_provider="twilio")
    patched = dataclasses.replace(settings, **changes)
    monkeypatch.setattr(config, "_settings", patched)
    return patched
