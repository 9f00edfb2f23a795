"""Socket.IO at /socket.io (web.realtime_socket): a real `socketio.Client` against the app served by
a threaded werkzeug server: the access token decides who connects, each socket gets its own
user's events and the broadcasts once, a token that stops working ends the connection, and
the embedded server's long-polling-only mode."""

from __future__ import annotations

import queue
import threading
import time

import pytest
import socketio
from werkzeug.serving import make_server

from models.users import User
from services.platform import user_events
from tests.factories import quick_user as make_user, token_for
from web import realtime_socket


@pytest.fixture()
def served(app):
    """The app on a loopback port (werkzeug, one thread per connection); yields its base URL."""
    app.config.update(SSE_MAX_STREAMS=3)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions["cartwheel_realtime"].bridge.stop()


class Listener:
    """A connected (or refused) Socket.IO client that queues every seed 002 event it receives."""

    def __init__(self, url, auth=None, headers=None, transports=("websocket",)):
        self.client = socketio.Client(reconnection=False)
        self.events: queue.Queue = queue.Queue()
        self.refused = None
        self.client.on("connect_error", self._refused)
        for name in user_events.EVENTS:
            self.client.on(name, lambda data, name=name: self.events.put((name, data)))
        try:
            self.client.connect(url, auth=auth, headers=headers or {}, transports=list(transports), wait_timeout=5)
        except socketio.exceptions.ConnectionError:
            if self.refused is None:
                raise

    def _refused(self, data):
        self.refused = data

    def next(self, timeout=5.0):
        return self.events.get(timeout=timeout)

    def quiet(self, seconds=0.5) -> bool:
        time.sleep(seconds)
        return self.events.empty()

    def close(self):
        """Disconnect without waiting: werkzeug never answers a WebSocket close frame (it reads it as
        HTTP), so the client would wait its close timeout; the server has seen the close already."""
        threading.Thread(target=self.client.disconnect, daemon=True).start()


def test_a_connection_without_a_token_or_with_a_bad_one_is_refused(served):
    anonymous = Listener(served)
    assert anonymous.refused["data"] == {"code": "AUTHENTICATION_ERROR", "reason": "authentication_required"}
    assert anonymous.refused["message"] and not anonymous.client.connected
    bad = Listener(served, auth={"token": "not-a-jwt"})
    assert bad.refused["data"]["reason"] == "invalid_token" and not bad.client.connected
    disabled = make_user()
    token = token_for(disabled)
    User.update(is_active=False).where(User.id == disabled.id).execute()
    assert Listener(served, auth={"token": token}).refused["data"]["reason"] == "invalid_token"


def test_my_socket_gets_my_events_and_broadcasts_once_and_never_another_users(served):
    me, other = make_user(), make_user()
    mine = Listener(served, auth={"token": token_for(me)})
    second_device = Listener(served, headers={"Authorization": f"Bearer {token_for(me)}"}, transports=("polling",))
    theirs = Listener(served, auth={"token": token_for(other)})
    try:
        assert mine.client.connected and second_device.client.connected and theirs.client.connected
        user_events.publish_user_event(me.id, "order_status_update", {"orderId": "ord_1", "status": "shipped"})
        user_events.publish_broadcast_event("new_project", {"projectId": "prj_1"})
        for device in (mine, second_device):
            assert device.next() == ("order_status_update", {"orderId": "ord_1", "status": "shipped"})
            assert device.next() == ("new_project", {"projectId": "prj_1"})
        assert theirs.next() == ("new_project", {"projectId": "prj_1"})
        assert mine.quiet() and second_device.quiet() and theirs.quiet()  # exactly once each
    finally:
        for listener in (mine, second_device, theirs):
            listener.close()


def test_connections_take_the_processes_live_stream_slots(served, app):
    token = token_for(make_user())
    held = [Listener(served, auth={"token": token}) for _ in range(3)]
    try:
        full = Listener(served, auth={"token": token})
        assert full.refused == {"data": {"code": "SERVICE_UNAVAILABLE", "reason": "too_many_streams"},
                                "message": "Too many live connections on this server; retry shortly"}
        held.pop().close()
        deadline = time.monotonic() + 5
        while app.extensions["cartwheel_stream_slots"].active >= 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        again = Listener(served, auth={"token": token})
        assert again.client.connected
        held.append(again)
    finally:
        for listener in held:
            listener.close()


def test_the_sweep_ends_a_connection_whose_account_was_disabled(served, app):
    me, other = make_user(), make_user()
    gone, staying = Listener(served, auth={"token": token_for(me)}), Listener(served, auth={"token": token_for(other)})
    try:
        User.update(is_active=False).where(User.id == me.id).execute()
        ended = app.extensions["cartwheel_realtime"].sweep()
        assert len(ended) == 1
        deadline = time.monotonic() + 5
        while gone.client.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not gone.client.connected and staying.client.connected
    finally:
        gone.close()
        staying.close()


def test_polling_only_offers_no_websocket_upgrade(served, app):
    realtime_socket.polling_only(app)
    token = token_for(make_user())
    assert Listener(served, auth={"token": token}, transports=("websocket",)).client.connected is False
    polling = Listener(served, auth={"token": token}, transports=("polling", "websocket"))
    try:
        assert polling.client.connected and polling.client.transport() == "polling"
    finally:
        polling.close()


def test_the_handshake_token_comes_from_auth_then_the_bearer_header():
    assert realtime_socket.handshake_token({}, {"token": " abc "}) == "abc"
    assert realtime_socket.handshake_token({"HTTP_AUTHORIZATION": "Bearer xyz"}, None) == "xyz"
    assert realtime_socket.handshake_token({"HTTP_AUTHORIZATION": "Basic xyz"}, {"token": 1}) is None
    assert realtime_socket.handshake_token({"QUERY_STRING": "token=abc"}, None) is None  # never from the URL


def test_a_database_outage_refuses_new_connections_but_the_sweep_keeps_open_ones(served, app, monkeypatch):
    token = token_for(make_user())
    kept = Listener(served, auth={"token": token})
    try:
        def unreachable(token):
            raise OSError("database unreachable")

        monkeypatch.setattr(realtime_socket.customers, "authenticate_access_token", unreachable)
        refused = Listener(served, auth={"token": token})
        assert refused.refused["data"] == {"code": "SERVICE_UNAVAILABLE", "reason": "realtime_unavailable"}
        assert app.extensions["cartwheel_realtime"].sweep() == [] and kept.client.connected
    finally:
        kept.close()
