"""GET /api/v1/realtime/events: seed 002's real-time events as one SSE stream, the caller's own
events and the broadcast ones only, published after commit; fed by real checkouts and in-app
notifications through the worker (in-process hub on SQLite; Redis pub/sub on PostgreSQL + Redis)."""

from __future__ import annotations

import json
import time

import pytest

from models.db import atomic
from services.platform import user_events
from tests.api.test_openapi_truth import assert_events_match, stream_schemas
from tests.factories import assert_error, checkout_body, fill_cart, make_product, token_for
from tests.factories import quick_user as make_user
from tests.factories.sse import EventStream

PATH = "/api/v1/realtime/events"


@pytest.fixture()
def stream_app(app):
    app.config.update(SSE_KEEPALIVE_SECONDS=0.3, SSE_MAX_SECONDS=30, SSE_MAX_STREAMS=4)
    return app


def test_the_stream_requires_a_valid_token(api):
    status, body, _ = api.get(PATH)
    assert_error(status, body, 401, "authentication_required")
    status, body, _ = api.get(PATH, token="not-a-jwt")
    assert_error(status, body, 401, "invalid_token")


def test_i_receive_my_events_and_broadcasts_but_never_another_users(stream_app):
    me, other = make_user(), make_user()
    stream = EventStream(stream_app, PATH, token=token_for(me))
    try:
        assert stream.status == 200 and stream.headers["Content-Type"].startswith("text/event-stream")
        user_events.publish_user_event(other.id, "wallet_update", {"balance": 999})
        user_events.publish_user_event(me.id, "wallet_update", {"balance": 150, "currency": "USD"})
        user_events.publish_broadcast_event("new_project", {"projectId": "prj_1", "title": "Review a store"})
        mine = stream.next()
        assert mine == {"event": "wallet_update", "data": {"balance": 150, "currency": "USD"}}
        assert stream.next() == {"event": "new_project", "data": {"projectId": "prj_1", "title": "Review a store"}}
        time.sleep(0.4)
        assert list(stream.events.queue) == []  # the other user's event never came
        assert stream.retry == 3000 and "keep-alive" in stream.comments
    finally:
        stream.close()


def test_an_event_is_sent_only_after_commit_and_never_after_a_rollback(stream_app, db):
    me = make_user()
    stream = EventStream(stream_app, PATH, token=token_for(me))
    try:
        with pytest.raises(RuntimeError):
            with atomic():
                user_events.publish_user_event(me.id, "video_engagement", {"videoId": "vid_rolled_back"})
                raise RuntimeError("roll back")
        with atomic():
            user_events.publish_user_event(me.id, "video_engagement", {"videoId": "vid_1", "likes": 3})
            time.sleep(0.3)
            assert list(stream.events.queue) == []  # not before the commit
        assert stream.next() == {"event": "video_engagement", "data": {"videoId": "vid_1", "likes": 3}}
        time.sleep(0.3)
        assert list(stream.events.queue) == []
    finally:
        stream.close()


def test_placing_an_order_sends_order_status_update_and_new_notification_as_documented(stream_app, api, client):
    me = make_user()
    token = token_for(me)
    stream = EventStream(stream_app, PATH, token=token)
    try:
        product = make_product(stock=5)
        cart_id = fill_cart(api, product, token=token)
        status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id), token=token,
                                   headers={"Prefer": "wait=10"})
        assert status == 200 and body["data"]["state"] == "succeeded", body
        order_id = body["data"]["result"]["orderId"]
        update = stream.next(lambda e: e["event"] == "order_status_update")
        assert update["data"]["orderId"] == order_id
        assert (update["data"]["status"], update["data"]["paymentStatus"]) == ("confirmed", "pending")
        notification = stream.next(lambda e: e["event"] == "new_notification", timeout=20)
        assert notification["data"]["data"]["orderId"] == order_id and notification["data"]["isRead"] is False
        assert notification["data"]["category"] and notification["data"]["title"]
        status, inbox, _ = api.get("/api/v1/notifications", token=token)  # already in the inbox when announced
        assert status == 200 and notification["data"]["id"] in [n["id"] for n in inbox["data"]]
        documented = [{"event": e["event"], "data": json.dumps(e["data"])} for e in (update, notification)]
        assert_events_match(documented, *stream_schemas(client)[PATH])
    finally:
        stream.close()


def test_another_customers_order_is_not_announced_to_me(stream_app, api):
    me, other = make_user(), make_user()
    stream = EventStream(stream_app, PATH, token=token_for(me))
    try:
        token = token_for(other)
        cart_id = fill_cart(api, make_product(stock=5), token=token)
        status, body, _ = api.post("/api/v1/orders", checkout_body(cart_id), token=token,
                                   headers={"Prefer": "wait=10"})
        assert status == 200, body
        time.sleep(1.0)
        assert list(stream.events.queue) == []
    finally:
        stream.close()


def test_the_stream_is_documented_with_each_event(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"][PATH]["get"]
    schema = operation["responses"]["200"]["content"]["text/event-stream"]["schema"]
    names = {variant["properties"]["event"]["const"] for variant in schema["oneOf"]}
    assert names == set(user_events.EVENTS)
    assert operation["security"] == [{"bearerAuth": []}]
