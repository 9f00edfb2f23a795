"""E2E: seed 002's real-time events over Socket.IO, with real `socketio.Client`s.

Production shape (gunicorn gthread with 2 worker processes, dramatiq workers, PostgreSQL, Redis):
WebSocket clients, each event received exactly once on each of the customer's sockets and never on
another customer's. `order_status_update` and `new_notification` come from real features (a cash
on delivery checkout by the checkout worker, its in-app "order placed" notification sent by the
notifications worker, a cancellation through the API); `wallet_update`, `video_engagement` and
`new_project` are published from a separate Python process through `services.platform.user_events`
(as the wallet, earn and video packages do), since their sources are built elsewhere.
Embedded shape (`python -m web.serve`, waitress): long-polling.
"""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
import time

import pytest
import socketio

from tests.e2e import flows
from tests.e2e.stack import ROOT, Http

ADMIN_EMAIL = "e2e-realtime-admin@cartwheel.test"
ADMIN_PASSWORD = "orchid-lantern-e2e-7"
EVENTS = ("order_status_update", "new_notification", "wallet_update", "new_project", "video_engagement")


class Listener:
    """A connected Socket.IO client collecting every seed 002 event it receives."""

    def __init__(self, base: str, token: str, transports=("websocket",)):
        self.client = socketio.Client(reconnection=False)
        self.events: queue.Queue = queue.Queue()
        self.seen: list[tuple[str, dict]] = []
        for name in EVENTS:
            self.client.on(name, lambda data, name=name: self.events.put((name, data)))
        self.client.connect(base, auth={"token": token}, transports=list(transports), wait_timeout=10)

    def wait_for(self, predicate, timeout: float = 30.0) -> tuple[str, dict]:
        """The first event (received so far or later) matching `predicate(name, data)`."""
        deadline = time.monotonic() + timeout
        while True:
            for item in self.seen:
                if predicate(*item):
                    return item
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching event within {timeout}s; saw {self.seen}")
            try:
                self.seen.append(self.events.get(timeout=remaining))
            except queue.Empty:
                pass

    def drain(self, seconds: float = 1.0) -> list[tuple[str, dict]]:
        time.sleep(seconds)
        while not self.events.empty():
            self.seen.append(self.events.get_nowait())
        return self.seen

    def close(self) -> None:
        threading.Thread(target=self.client.disconnect, daemon=True).start()


def publish_from_another_process(env: dict, user_id: str) -> None:
    """What the wallet, video and earn packages do, from a process of its own (like a worker):
    bound to the stack's database and Redis, inside a committed transaction."""
    code = ("import config; from models.db import atomic, init_database; "
            "from services.platform import user_events as e; "
            "init_database(config.get().database_url, 2)\n"
            "with atomic():\n"
            f" e.publish_user_event({user_id!r}, 'wallet_update', {{'balance': 1250, 'currency': 'USD'}})\n"
            f" e.publish_user_event({user_id!r}, 'video_engagement', {{'videoId': 'vid_e2e', 'likes': 7}})\n"
            " e.publish_broadcast_event('new_project', {'projectId': 'prj_e2e', 'title': 'Rate a store'})\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, timeout=60, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]


def user_id_of(http: Http, token: str) -> str:
    status, body, _ = http.get("/api/v1/users/profile", token=token)
    assert status == 200, body
    return body["data"]["id"]


def test_socketio_delivers_each_event_once_to_each_of_my_sockets_on_the_production_shape(production):
    http = Http(production.base)
    production.create_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
    admin = flows.login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
    product_id, variant_id = flows.create_product(http, admin, price=1500, stock=10)
    me, other = flows.register_customer(http), flows.register_customer(http)
    mine = [Listener(production.base, me) for _ in range(3)]  # spread over the 2 gunicorn processes
    theirs = Listener(production.base, other)
    try:
        assert all(s.client.connected and s.client.transport() == "websocket" for s in [*mine, theirs])
        cart = flows.fill_cart(http, me, product_id, variant_id)
        order_id = flows.checkout(http, me, cart["id"], "cash_on_delivery")["orderId"]
        for socket in mine:
            socket.wait_for(lambda n, d: n == "order_status_update" and d["orderId"] == order_id
                            and d["status"] == "confirmed")
            socket.wait_for(lambda n, d: n == "new_notification" and d["data"].get("orderId") == order_id)
        status, body, _ = http.put(f"/api/v1/orders/{order_id}/cancel", {"reason": "changed my mind"}, token=me)
        assert status == 200, body
        for socket in mine:
            socket.wait_for(lambda n, d: n == "order_status_update" and d["status"] == "cancelled")
        publish_from_another_process(production.env, user_id_of(http, me))
        for socket in mine:
            socket.wait_for(lambda n, d: n == "wallet_update" and d == {"balance": 1250, "currency": "USD"})
            socket.wait_for(lambda n, d: n == "video_engagement" and d["videoId"] == "vid_e2e")
            socket.wait_for(lambda n, d: n == "new_project" and d["projectId"] == "prj_e2e")
        theirs.wait_for(lambda n, d: n == "new_project" and d["projectId"] == "prj_e2e")
        for socket in mine:  # exactly once per socket, though every API process heard each message
            names = [name for name, _ in socket.drain()]
            assert names.count("wallet_update") == names.count("video_engagement") == 1, names
            assert names.count("new_project") == 1, names
        assert [name for name, _ in theirs.drain()] == ["new_project"]  # never my events
    finally:
        for socket in [*mine, theirs]:
            socket.close()


def test_socketio_refuses_a_connection_without_a_valid_token_on_the_production_shape(production):
    refused = []
    client = socketio.Client(reconnection=False)
    client.on("connect_error", refused.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(production.base, auth={"token": "forged"}, transports=["websocket"], wait_timeout=10)
    assert refused and refused[0]["data"] == {"code": "AUTHENTICATION_ERROR", "reason": "invalid_token"}


def test_socketio_long_polls_on_the_embedded_server(embedded):
    http = Http(embedded.base)
    embedded.flask("users", "create-admin", ADMIN_EMAIL, "--password", ADMIN_PASSWORD)
    admin = flows.login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
    product_id, variant_id = flows.create_product(http, admin, price=1500, stock=5)
    me = flows.register_customer(http)
    socket = Listener(embedded.base, me, transports=("polling", "websocket"))
    try:
        assert socket.client.transport() == "polling"  # waitress: no WebSocket upgrade offered
        cart = flows.fill_cart(http, me, product_id, variant_id)
        order_id = flows.checkout(http, me, cart["id"], "cash_on_delivery")["orderId"]
        socket.wait_for(lambda n, d: n == "order_status_update" and d["orderId"] == order_id)
        socket.wait_for(lambda n, d: n == "new_notification" and d["data"].get("orderId") == order_id)
    finally:
        socket.close()
