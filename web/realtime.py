"""Seed 002's real-time events for web clients, as one Server-Sent Events stream.

`GET /api/v1/realtime/events` (signed in only; 401 otherwise) relays the caller's own events
(`services.platform.user_events`: channel `user:{id}:events`) and the events every signed-in user
hears (`user-events:all`) as `event: <name>` / `data: <json>` blocks, the same events and
payloads the Socket.IO server (web.realtime_socket) emits: `order_status_update`,
`new_notification`, `wallet_update`, `new_project`, `video_engagement`. Events are published after
commit and delivered at most once: nothing is replayed on reconnect (`Last-Event-ID` is not
used), so a client re-reads the resources it shows after reconnecting. Keep-alives, time limit and
the per-process cap are web.sse's.
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from services.platform import user_events
from web.notifications import InAppNotificationSchema
from web.security import BEARER_SECURITY, require_user
from web.sse import MessageStream, documents_stream, event_stream, sse_event, stream_options
from web.streams import OrderStatusEventSchema

blp = Blueprint("realtime", __name__, url_prefix="/api/v1",
                description="Seed 002 real-time events (Server-Sent Events; Socket.IO at /socket.io)")


class WalletUpdateEventSchema(ma.Schema):
    """`data` of `wallet_update` (services.wallet.ledger.announce): the balance after the change, in
    minor units, and the ledger line that made it (absent when none did)."""

    currency = ma.fields.String()
    balance = ma.fields.Integer(metadata={"description": "available + held"})
    available = ma.fields.Integer()
    held = ma.fields.Integer(metadata={"description": "in pending withdrawals"})
    totalEarned = ma.fields.Integer()
    totalSpent = ma.fields.Integer()
    transactionId = ma.fields.String()
    type = ma.fields.String(metadata={"description": "the ledger line's type"})
    amount = ma.fields.Integer(metadata={"description": "signed: credits > 0, debits < 0"})


class NewProjectEventSchema(ma.Schema):
    """`data` of `new_project` (to every connected user): the earn project just opened."""

    id = ma.fields.String()
    title = ma.fields.String()
    category = ma.fields.String()
    type = ma.fields.String()
    reward = ma.fields.Integer(metadata={"description": "minor units"})
    currency = ma.fields.String()
    expiresAt = ma.fields.String(allow_none=True)


class VideoEngagementCountsSchema(ma.Schema):
    views = ma.fields.Integer()
    likes = ma.fields.Integer()
    shares = ma.fields.Integer()
    comments = ma.fields.Integer()


class VideoEngagementEventSchema(ma.Schema):
    """`data` of `video_engagement` (to the video's creator): who did what, and the counts after it."""

    videoId = ma.fields.String()
    type = ma.fields.String(metadata={"description": "like | unlike | comment"})
    userId = ma.fields.String()
    engagement = ma.fields.Nested(VideoEngagementCountsSchema)
    commentId = ma.fields.String(metadata={"description": "comment events"})


EVENT_SCHEMAS = {"order_status_update": OrderStatusEventSchema, "new_notification": InAppNotificationSchema,
                 "wallet_update": WalletUpdateEventSchema, "new_project": NewProjectEventSchema,
                 "video_engagement": VideoEngagementEventSchema}

EVENTS_DOC = ("text/event-stream of your real-time events (seed 002): `order_status_update` (as the `order-status` "
              "event), `new_notification` (an in-app notification), `wallet_update`, `new_project`, "
              "`video_engagement`; each as it happens, nothing replayed")


def render_user_event(message: dict) -> str | None:
    """The SSE block of one `user_events` message (`{"event", "data", "at"}`), or None for anything else."""
    event, data = message.get("event"), message.get("data")
    if event not in user_events.EVENTS or not isinstance(data, dict):
        return None
    return sse_event(event, data)


@blp.route("/realtime/events")
class RealtimeEvents(MethodView):
    @documents_stream(blp, EVENTS_DOC, EVENT_SCHEMAS, security=BEARER_SECURITY)
    def get(self):
        """Stream my real-time events (orders, notifications, wallet, projects, videos) as Server-Sent Events."""
        user = require_user()
        options = stream_options()
        stream = MessageStream([user_events.user_channel(user.id), user_events.BROADCAST_CHANNEL], render_user_event,
                               max_seconds=options["max_seconds"], keepalive_seconds=options["keepalive_seconds"])
        return event_stream(stream.generate)
