"""Seed 002's real-time events over Socket.IO (python-socketio), at `/socket.io` in the API's WSGI app.

Events, emitted to the signed-in user they concern (payloads as in web.realtime's SSE stream):
`order_status_update`, `new_notification`, `wallet_update`, `new_project` (to everyone connected)
and `video_engagement`. Clients only listen; nothing they emit is handled.

Authentication. The client sends its access JWT in the Socket.IO `auth` payload `{"token": "..."}`
(or an `Authorization: Bearer ...` header on the handshake; never in the URL, which servers log).
It is checked with the API's own code (`customers.authenticate_access_token`: signature, expiry,
session not revoked, account active); otherwise the connection is refused: `connect_error` with
`{"message": ..., "data": {"code": "AUTHENTICATION_ERROR", "reason": ...}}`. Each connection joins room `user:{id}`. Every
`SWEEP_SECONDS` each connection's token is checked again: an expired token, a signed-out session
or a disabled account ends the connection (the client reconnects with a fresh token).

Delivery, exactly once per connected socket, at most once overall. Packages publish through
`services.platform.user_events` after commit, on the live channels `cartwheel:user:{id}:events`
and `cartwheel:user-events:all` (Redis pub/sub in production, the in-process hub when embedded),
from any API, worker or scheduler process. Each API process runs one bridge thread holding one
subscription: the pattern `cartwheel:user:*:events` plus the broadcast channel. Every process
thus hears each message once and emits it only to the sockets *it* holds (python-socketio's
default in-process manager: `sio.emit(room="user:{id}")` reaches this process's sockets only),
so a socket, held by exactly one process, gets each event exactly once; a user with sockets in
two processes gets it once on each. python-socketio's `RedisManager` is deliberately not used:
its pub/sub would be a second bus next to the live channels, and forwarding live messages into
it from every process would deliver each event once per process. As with every live channel,
a message published while a socket is disconnected (or while Redis is away) is not replayed.

Servers and transports. The Server runs with `async_mode="threading"`. Under gunicorn (gthread,
the production shape) both long-polling and WebSocket (simple-websocket on gunicorn's socket)
work; a WebSocket holds one gunicorn thread for its life. With several API processes, connect
with `transports: ["websocket"]` (or put a sticky load balancer in front): a long-polling session
lives in one process, as Socket.IO documents. The embedded server (waitress, `make run`) cannot
hand a socket to a WebSocket, so web.serve calls `polling_only`: long-polling only there.
Each connection takes one of the process's `SSE_MAX_STREAMS` live-stream slots (web.sse), like
an SSE stream, so live connections cannot take every server thread; past that the connection
is refused with reason `too_many_streams`. `/socket.io` bypasses Flask: no rate limit, metrics
or request log lines apply to it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

import socketio
from flask import Flask
from socketio.exceptions import ConnectionRefusedError

import config
from models.db import database
from services import customers
from services.errors import AuthenticationFailed
from services.platform import live, user_events
from web.sse import StreamSlots

log = logging.getLogger("cartwheel.realtime")

SOCKETIO_PATH = "socket.io"
SWEEP_SECONDS = 30.0  # how often live connections' tokens are checked again
RESUBSCRIBE_SECONDS = 2.0  # pause before the bridge subscribes again after losing Redis
READY_SECONDS = 5.0  # how long a first connection waits for the bridge's subscription
WAKE_SECONDS = 1.0  # the bridge's longest wait for a message (so `stop` takes effect promptly)


def user_room(user_id: str) -> str:
    """The room of one user's connections: `user:{user_id}`."""
    return f"user:{user_id}"


def handshake_token(environ: dict, auth) -> str | None:
    """The access token of a Socket.IO handshake: `auth["token"]`, else the `Authorization: Bearer`
    header; None when neither is there."""
    if isinstance(auth, dict) and isinstance(auth.get("token"), str) and auth["token"].strip():
        return auth["token"].strip()
    scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def refusal(reason: str, message: str) -> ConnectionRefusedError:
    """The error a refused client receives in `connect_error`: `{"message", "data": {"code", "reason"}}`
    (Socket.IO's `err.message` and `err.data`)."""
    code = "SERVICE_UNAVAILABLE" if reason in ("too_many_streams", "realtime_unavailable") else "AUTHENTICATION_ERROR"
    return ConnectionRefusedError(message, {"code": code, "reason": reason})


def authenticate(token: str | None):
    """The active user of `token` (`customers.authenticate_access_token`, on a connection of its own).
    Raises ConnectionRefusedError: reason `authentication_required` without a token, the token's
    AuthenticationFailed reason for a bad one, `realtime_unavailable` when the check itself failed
    (database unreachable)."""
    if not token:
        raise refusal(reason="authentication_required", message="Send your access token: auth {\"token\": ...}")
    try:
        with database.connection_context():
            return customers.authenticate_access_token(token)[0]
    except AuthenticationFailed as exc:
        raise refusal(reason=exc.reason or "invalid_token", message=exc.message) from None
    except Exception:  # noqa: BLE001 - the database is unreachable: refuse now, the client retries
        log.exception("realtime: cannot check a connection's token")
        raise refusal(reason="realtime_unavailable", message="Cannot check your token right now; reconnect shortly") \
            from None


@dataclass
class Connection:
    """A socket this process holds: whose it is, the token it proved it with, its stream slot."""

    user_id: str
    token: str
    release: Callable[[], None]


class Bridge:
    """This process's one subscription to every user's channel and the broadcast channel, emitting
    each message to the sockets this process holds (see the module docstring). Started by the
    first connection; runs for the life of the process (a daemon thread)."""

    def __init__(self, realtime: "RealtimeSocket"):
        self.realtime = realtime
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.ready = threading.Event()  # set once the subscription is live
        self._stopped = threading.Event()

    def ensure_started(self) -> None:
        """Start the thread if needed and wait (up to READY_SECONDS) until it is subscribed."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="realtime-bridge", daemon=True)
                self._thread.start()
        self.ready.wait(READY_SECONDS)

    def stop(self) -> None:
        """End the thread within WAKE_SECONDS (tests; a server process never stops it)."""
        self._stopped.set()

    def _run(self) -> None:
        self._next_sweep = time.monotonic() + SWEEP_SECONDS
        while not self._stopped.is_set():
            try:
                with live.subscribe([user_events.BROADCAST_CHANNEL], [user_events.USER_CHANNEL_PATTERN]) as sub:
                    self.ready.set()
                    while not sub.degraded and not self._stopped.is_set():
                        message = sub.get(max(0.0, min(WAKE_SECONDS, self._next_sweep - time.monotonic())))
                        if message is not None:
                            self.forward(message.channel, message.data)
                        self._sweep_if_due()
            except Exception:  # noqa: BLE001 - the bridge must outlive any one bad message or outage
                log.exception("realtime: bridge error; subscribing again")
            self._stopped.wait(RESUBSCRIBE_SECONDS)  # Redis away: subscribe again shortly
            self._sweep_if_due()  # tokens are checked during an outage too

    def _sweep_if_due(self) -> None:
        if time.monotonic() >= self._next_sweep:
            self._next_sweep = time.monotonic() + SWEEP_SECONDS
            try:
                self.realtime.sweep()
            except Exception:  # noqa: BLE001 - a failed sweep is retried at the next one
                log.exception("realtime: token sweep failed")

    def forward(self, channel: str, message: dict) -> None:
        """Emit one live message (`{"event", "data", "at"}`) to this process's sockets: the user's
        room for a user channel, every socket for the broadcast channel; anything else is ignored."""
        event, data = message.get("event"), message.get("data")
        if event not in user_events.EVENTS or not isinstance(data, dict):
            return
        user_id = user_events.user_of_channel(channel)
        if user_id is not None:
            self.realtime.sio.emit(event, data, room=user_room(user_id))
        elif channel == user_events.BROADCAST_CHANNEL:
            self.realtime.sio.emit(event, data)


class RealtimeSocket:
    """The Socket.IO server of one app: authentication on connect, rooms, stream slots, the bridge."""

    def __init__(self, app: Flask, settings: config.Settings):
        self.app = app
        origins = list(settings.cors_origins) or None  # None: same origin only (clients without Origin pass)
        self.sio = socketio.Server(async_mode="threading", cors_allowed_origins=origins, logger=False,
                                   engineio_logger=False)
        self.bridge = Bridge(self)
        self.connections: dict[str, Connection] = {}
        self._lock = threading.Lock()
        self.sio.on("connect", self.on_connect)
        self.sio.on("disconnect", self.on_disconnect)

    def _slots(self) -> StreamSlots:
        return self.app.extensions.setdefault("cartwheel_stream_slots", StreamSlots())

    def on_connect(self, sid: str, environ: dict, auth=None) -> bool:
        """Accept a signed-in client into its room `user:{id}`; refuse anyone else (see module docstring)."""
        token = handshake_token(environ, auth)
        user = authenticate(token)
        limit = self.app.config.get("SSE_MAX_STREAMS", config.get().sse_max_streams)
        release = self._slots().try_acquire(limit)
        if release is None:
            raise refusal(reason="too_many_streams", message="Too many live connections on this server; retry shortly")
        self.bridge.ensure_started()
        with self._lock:
            self.connections[sid] = Connection(user.id, token, release)
        self.sio.enter_room(sid, user_room(user.id))
        return True

    def on_disconnect(self, sid: str, reason=None) -> None:
        """Forget the connection and free its stream slot."""
        with self._lock:
            connection = self.connections.pop(sid, None)
        if connection is not None:
            connection.release()

    def sweep(self) -> list[str]:
        """Disconnect every socket whose token no longer authenticates (expired, session signed out,
        account disabled); with the database unreachable, nobody. Returns the disconnected sids."""
        with self._lock:
            held = list(self.connections.items())
        ended = []
        for sid, connection in held:
            try:
                authenticate(connection.token)
            except ConnectionRefusedError as exc:
                if exc.error_args.get("data", {}).get("reason") == "realtime_unavailable":
                    continue  # cannot tell now (database unreachable): keep it until the next sweep
                ended.append(sid)
                self.sio.disconnect(sid)
                self.on_disconnect(sid)
        return ended


def install(app: Flask, settings: config.Settings) -> RealtimeSocket:
    """Mount the Socket.IO server at `/socket.io` in front of `app`'s WSGI callable (the same
    process, port and server as the API). Returns it (also in `app.extensions["cartwheel_realtime"]`)."""
    realtime = RealtimeSocket(app, settings)
    app.wsgi_app = socketio.WSGIApp(realtime.sio, app.wsgi_app, socketio_path=SOCKETIO_PATH)
    app.extensions["cartwheel_realtime"] = realtime
    return realtime


def polling_only(app: Flask) -> None:
    """Offer long-polling only (no WebSocket upgrade): for servers that cannot hand the raw socket
    to a WebSocket (waitress, the embedded server)."""
    app.extensions["cartwheel_realtime"].sio.eio.transports = ["polling"]
