"""A user's own real-time events (seed 002 "Real-time Features"): one live channel per user.

Seed 002's mobile client listens for `order_status_update`, `new_notification`,
`wallet_update`, `new_project` and `video_engagement`. A package that changes something a
user should hear about calls `publish_user_event(user_id, event, data)` inside its
transaction; the message goes out on `cartwheel:user:{user_id}:events` after commit
(`live.publish_after_commit`), so a change that rolls back never announces itself. The
Socket.IO server and the SSE stream `GET /realtime/events` subscribe to that channel for the
authenticated user only. `publish_broadcast_event` is for events every signed-in user may
hear (`new_project`): channel `cartwheel:user-events:all`.

Delivery is at most once, like every live channel: a client that reconnects re-reads state.
Message shape on the channel: `{"event": <name>, "data": {...}, "at": <ISO-8601 UTC>}`.
"""

from __future__ import annotations

from datetime import datetime, timezone

from services.platform import live

EVENTS = ("order_status_update", "new_notification", "wallet_update", "new_project", "video_engagement")
BROADCAST_CHANNEL = live.channel("user-events:all")
_USER_PREFIX, _USER_SUFFIX = live.channel("user:"), ":events"
USER_CHANNEL_PATTERN = _USER_PREFIX + "*" + _USER_SUFFIX  # every user's channel (`live.subscribe` patterns)


def user_channel(user_id: str) -> str:
    """`cartwheel:user:{user_id}:events`: the events of one user."""
    return live.channel(f"user:{user_id}:events")


def user_of_channel(channel: str) -> str | None:
    """The user id a `user_channel` names; None for any other channel (the broadcast one included)."""
    if channel.startswith(_USER_PREFIX) and channel.endswith(_USER_SUFFIX):
        user_id = channel[len(_USER_PREFIX):-len(_USER_SUFFIX)]
        return user_id or None
    return None


def _message(event: str, data: dict) -> dict:
    if event not in EVENTS:
        raise ValueError(f"unknown user event {event!r}; one of {EVENTS}")
    return {"event": event, "data": data, "at": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")}


def publish_user_event(user_id: str, event: str, data: dict) -> None:
    """After commit, send `event` (one of `EVENTS`) with the JSON-serialisable `data` to the user
    `user_id`. Raises ValueError for an event name not in `EVENTS` (a programming error)."""
    live.publish_after_commit(user_channel(user_id), _message(event, data))


def publish_broadcast_event(event: str, data: dict) -> None:
    """After commit, send `event` to every connected user (`BROADCAST_CHANNEL`)."""
    live.publish_after_commit(BROADCAST_CHANNEL, _message(event, data))
