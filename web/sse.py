"""Server-Sent Events machinery shared by every live stream (web.streams, web.product_stock_updates,
web.jobs, web.realtime): the per-process stream slots, the SSE settings and headers, event blocks,
the `StateStream` loop (state snapshots), the `MessageStream` loop (one event per live message)
and the OpenAPI documentation of an SSE endpoint.

A stream holds a server thread (gunicorn gthread, waitress), so each process serves at most
`SSE_MAX_STREAMS` streams at once (job event streams included); past that, 503
`SERVICE_UNAVAILABLE` with reason `too_many_streams` and `Retry-After`. Protocol: `retry:
3000` first, then one event per changed state (`id:` = a hash of the state, `event:`, `data:`
JSON), `: keep-alive` comments after `SSE_KEEPALIVE_SECONDS` of silence, and the stream ends
after `SSE_MAX_SECONDS` (EventSource reconnects by itself).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

from flask import Flask, Response, current_app, request

import config
from models.db import database
from services.platform import live
from web.errors import error_response
from web.schemas import ErrorEnvelopeSchema

RETRY_MILLISECONDS = 3000  # `retry:` sent to clients: reconnect delay
MAX_TRACKED_KEYS = 200  # states remembered per stream (to send only changes)

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

LAST_EVENT_ID_DOC = {"in": "header", "name": "Last-Event-ID", "required": False, "schema": {"type": "string",
                     "maxLength": 64}, "description": "Sent by EventSource on reconnect (see the tag description)"}

STREAM_DESCRIPTION = ("Server-Sent Events: `retry:`, then `id:` / `event:` / `data:` blocks and `: keep-alive` "
                      "comments. This schema describes one event (`event`, `id`, `data`), as OpenAPI 3.2's "
                      "`itemSchema` would; `data` is JSON, described by its `contentSchema`.")

# Marshmallow schemas of the events' `data`, added to the OpenAPI components by `register_event_schemas`.
_EVENT_SCHEMAS: dict[str, type] = {}


def component_name(schema: type) -> str:
    """The OpenAPI component name flask-smorest gives a schema class (`JobSchema` -> `Job`)."""
    name = schema.__name__
    return name[:-len("Schema")] if name.endswith("Schema") and name != "Schema" else name


def event_schema(events: dict[str, type]) -> dict:
    """The JSON Schema of one event of a stream whose event types are `events` (event name ->
    marshmallow schema of its JSON `data`): `{"event", "data", "id"?, "retry"?}`."""
    variants = []
    for name, schema in events.items():
        _EVENT_SCHEMAS[component_name(schema)] = schema
        variants.append({
            "type": "object", "required": ["event", "data"],
            "properties": {
                "event": {"type": "string", "const": name},
                "id": {"type": "string", "description": "a hash of the state (or the version) the event carries"},
                "retry": {"type": "integer", "description": "reconnect delay, milliseconds"},
                "data": {"type": "string", "contentMediaType": "application/json",
                         "contentSchema": {"$ref": f"#/components/schemas/{component_name(schema)}"}},
            },
        })
    return variants[0] if len(variants) == 1 else {"oneOf": variants}


def sse_responses(description: str, events: dict[str, type]) -> dict:
    """OpenAPI `responses` documenting a 200 text/event-stream of `events` (flask-smorest
    leaves out the content of a response without a schema)."""
    schema = dict(event_schema(events), description=STREAM_DESCRIPTION)
    return {"200": {"description": description, "content": {"text/event-stream": {"schema": schema}}}}


def documents_stream(blp, description: str, events: dict[str, type], **doc):
    """Decorator documenting a Server-Sent Events endpoint on `blp`: 200 `text/event-stream`
    (`description`) whose events are `events` (event name -> marshmallow schema of its JSON
    `data`), 503 when this process already serves `SSE_MAX_STREAMS` streams, and any further
    OpenAPI `doc` (parameters, security)."""
    def decorate(view):
        view = blp.doc(responses=sse_responses(description, events), **doc)(view)
        view = blp.alt_response(503, schema=ErrorEnvelopeSchema,
                                description="Too many live streams on this server")(view)
        return blp.response(200, description=description, content_type="text/event-stream")(view)

    return decorate


def register_event_schemas(api) -> None:
    """Add the event payload schemas named by `documents_stream` to the OpenAPI components
    (those already there, e.g. `Job`, are left as they are). Call after the blueprints."""
    for name, schema in sorted(_EVENT_SCHEMAS.items()):
        if name not in api.spec.components.schemas:
            api.spec.components.schema(name, schema=schema)


def stream_settings() -> dict:
    """The SSE_* settings (see config.py): concurrent streams per process (keep below the
    server's threads), maximum stream length, keep-alive interval and the lost-message
    re-read interval, in seconds. Copied into app.config so tests can tune one app."""
    s = config.get()
    return {"SSE_MAX_STREAMS": s.sse_max_streams, "SSE_MAX_SECONDS": s.sse_max_seconds,
            "SSE_KEEPALIVE_SECONDS": s.sse_keepalive_seconds, "SSE_POLL_SECONDS": s.sse_poll_seconds}


def install(app: Flask) -> None:
    """Copy the SSE settings into `app.config` (unless set) and give the app its stream slots."""
    for name, value in stream_settings().items():
        app.config.setdefault(name, value)
    app.extensions.setdefault("cartwheel_stream_slots", StreamSlots())


def stream_options() -> dict:
    """This app's stream length, keep-alive and re-read intervals (StateStream keyword arguments)."""
    cfg = current_app.config
    return {"max_seconds": cfg["SSE_MAX_SECONDS"], "keepalive_seconds": cfg["SSE_KEEPALIVE_SECONDS"],
            "poll_seconds": cfg["SSE_POLL_SECONDS"]}


class StreamSlots:
    """Counts the open streams of one process against `SSE_MAX_STREAMS`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.active = 0

    def try_acquire(self, limit: int) -> Callable[[], None] | None:
        """Take a slot if fewer than `limit` are open; returns its release function
        (safe to call more than once), or None when full."""
        with self._lock:
            if self.active >= limit:
                return None
            self.active += 1
        released = threading.Event()

        def release() -> None:
            if not released.is_set():
                released.set()
                with self._lock:
                    self.active -= 1
        return release


def stream_slots() -> StreamSlots:
    """This app's (process's) stream slots."""
    return current_app.extensions.setdefault("cartwheel_stream_slots", StreamSlots())


def state_id(data: dict) -> str:
    """The `id:` of an event: the first 16 hex digits of SHA-256 over the canonical JSON state."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]


def sse_event(event: str, data: dict, event_id: str | None = None) -> str:
    """One SSE event block (`id:`, `event:`, `data:` lines and a blank line)."""
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def too_many_streams():
    """The 503 envelope answered when this process already serves `SSE_MAX_STREAMS` streams."""
    return error_response(503, "SERVICE_UNAVAILABLE", "Too many live streams on this server; retry shortly",
                          [{"field": "request", "message": "Reconnect after Retry-After seconds"}],
                          reason="too_many_streams", headers={"Retry-After": "5"})


def acquire_stream_slot() -> Callable[[], None] | None:
    """Take one of this process's `SSE_MAX_STREAMS` stream slots: its release function, or
    None when all are taken (answer `too_many_streams()`). Release it with the response's
    `call_on_close`, which runs even when the client leaves before the first byte."""
    return stream_slots().try_acquire(current_app.config.get("SSE_MAX_STREAMS", config.get().sse_max_streams))


def event_stream(generate: Callable[[Callable[[], None]], Iterator[str]]) -> Response:
    """Answer with `generate(release)` as text/event-stream, holding one stream slot until the
    response is closed; a 503 envelope when no slot is free. Closes the request's database
    connection first, so a stream never holds a pooled connection between reads."""
    release = acquire_stream_slot()
    if release is None:
        return too_many_streams()
    if not database.is_closed() and not database.in_transaction():
        database.close()
    response = Response(generate(release), mimetype="text/event-stream", headers=SSE_HEADERS)
    response.call_on_close(release)  # also when the client went away before the first byte
    return response


def last_event_id() -> str | None:
    """The request's `Last-Event-ID` (at most 64 characters), or None."""
    value = request.headers.get("Last-Event-ID", "").strip()
    return value if 0 < len(value) <= 64 else None


@dataclass
class StateStream:
    """A stream of state snapshots keyed by id (order id, product id).

    `read(keys)` returns `{key: payload}` for `keys`, or for the stream's own
    set when `keys` is None; `key_of(message_data)` names the key a message is
    about (None: ignore it). Only a changed payload (by `state_id`) is sent.
    Changes arrive through `services.platform.live` and wake the stream at once; the
    stream also re-reads its state every `poll_seconds`, so a lost message only delays
    an update.
    """

    event: str
    channels: list[str]
    read: Callable[[set | None], dict]
    key_of: Callable[[dict], str | None]
    last_event_id: str | None = None
    single: bool = False
    max_seconds: float = 300
    keepalive_seconds: float = 15
    poll_seconds: float = 5
    sent: dict = field(default_factory=dict)

    def _read(self, keys: set | None) -> dict:
        with database.connection_context():
            return self.read(keys)

    def _changed(self, states: dict) -> Iterator[str]:
        for key, data in states.items():
            event_id = state_id(data)
            if self.sent.get(key) != event_id:
                self.sent[key] = event_id
                while len(self.sent) > MAX_TRACKED_KEYS:
                    self.sent.pop(next(iter(self.sent)))
                yield sse_event(self.event, data, event_id)

    def generate(self, release: Callable[[], None]) -> Iterator[str]:
        """The event stream; releases its slot and subscription when it ends or is closed."""
        subscription = None
        try:
            subscription = live.subscribe(self.channels)  # before the first read: no gap
            started = time.monotonic()
            yield f"retry: {RETRY_MILLISECONDS}\n\n"
            first = self._read(None)
            if self.single and self.last_event_id:
                self.sent = {key: self.last_event_id for key in first}
            yield from self._changed(first)
            last_write = next_poll = time.monotonic()
            next_poll += self.poll_seconds
            deadline = started + self.max_seconds
            while True:
                now = time.monotonic()
                if now >= deadline:
                    yield ": stream time limit reached; reconnect\n\n"
                    return
                wait = min(deadline, next_poll, last_write + self.keepalive_seconds) - now
                message = subscription.get(max(0.0, wait))
                keys = set()
                while message is not None:  # coalesce a burst into one read
                    key = self.key_of(message.data)
                    if key:
                        keys.add(key)
                    message = subscription.get(0)
                states = {}
                if time.monotonic() >= next_poll:
                    next_poll = time.monotonic() + self.poll_seconds
                    states = self._read(None)
                    keys |= set(self.sent) - set(states)
                if keys:
                    states.update(self._read(keys))
                chunks = list(self._changed(states))
                if chunks:
                    last_write = time.monotonic()
                    yield "".join(chunks)
                elif time.monotonic() - last_write >= self.keepalive_seconds:
                    last_write = time.monotonic()
                    yield ": keep-alive\n\n"
        finally:
            if subscription is not None:
                subscription.close()
            release()


@dataclass
class MessageStream:
    """A stream that relays live messages as they come: `render(message_data)` turns one
    message (a `services.platform.live` JSON object) into an SSE block, or None to skip it.
    Nothing is re-read or replayed: a message lost while nobody listened stays lost (at most once).
    Keep-alives and the time limit as `StateStream`."""

    channels: list[str]
    render: Callable[[dict], str | None]
    max_seconds: float = 300
    keepalive_seconds: float = 15

    def generate(self, release: Callable[[], None]) -> Iterator[str]:
        """The event stream; releases its slot and subscription when it ends or is closed."""
        subscription = None
        try:
            subscription = live.subscribe(self.channels)
            deadline = time.monotonic() + self.max_seconds
            yield f"retry: {RETRY_MILLISECONDS}\n\n"
            last_write = time.monotonic()
            while True:
                now = time.monotonic()
                if now >= deadline:
                    yield ": stream time limit reached; reconnect\n\n"
                    return
                message = subscription.get(max(0.0, min(deadline, last_write + self.keepalive_seconds) - now))
                chunks = []
                while message is not None:  # a burst goes out in one write
                    block = self.render(message.data)
                    if block:
                        chunks.append(block)
                    message = subscription.get(0)
                if chunks:
                    last_write = time.monotonic()
                    yield "".join(chunks)
                elif time.monotonic() - last_write >= self.keepalive_seconds:
                    last_write = time.monotonic()
                    yield ": keep-alive\n\n"
        finally:
            if subscription is not None:
                subscription.close()
            release()
