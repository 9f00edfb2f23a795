"""services.live: in-process and Redis pub/sub, publishing only after commit, Redis outages."""

import threading
import time
from dataclasses import replace

import pytest

from models.catalog import InventoryLevel
from models.db import atomic
from services import catalog, orders
from services.catalog import inventory
from services.platform import live
from tests.factories import first_variant, make_product
from tests.factories.redis import closed_port, redis_url


def drain(subscription, seconds=0.3):
    found = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        message = subscription.get(max(0.0, deadline - time.monotonic()))
        if message is not None:
            found.append(message)
    return found


def test_local_hub_delivers_to_each_subscriber_of_the_channel_only():
    hub = live.LocalHub()
    a, b, other = hub.subscribe(["c:1"]), hub.subscribe(["c:1", "c:2"]), hub.subscribe(["c:3"])
    assert hub.publish("c:1", {"n": 1}) == 2
    assert a.get(1).data == {"n": 1} and b.get(1) == live.Message("c:1", {"n": 1})
    assert other.get(0.05) is None
    hub.publish("c:2", {"n": 2})
    assert b.get(1).channel == "c:2" and a.get(0.05) is None


def test_local_hub_delivers_to_a_pattern_subscriber_with_the_real_channel_once():
    hub = live.LocalHub()
    by_pattern = hub.subscribe(["c:all"], patterns=["user:*:events"])
    named = hub.subscribe(["user:u1:events"])
    assert hub.publish("user:u1:events", {"n": 1}) == 2
    assert by_pattern.get(1) == live.Message("user:u1:events", {"n": 1}) and by_pattern.get(0.05) is None
    assert hub.publish("user:u1:other", {"n": 2}) == 0
    hub.publish("c:all", {"n": 3})
    assert by_pattern.get(1).channel == "c:all" and named.get(1).data == {"n": 1}
    by_pattern.close()
    assert hub.publish("user:u2:events", {}) == 0


def test_local_subscription_close_unsubscribes_and_get_times_out():
    hub = live.LocalHub()
    sub = hub.subscribe(["c:1"])
    assert hub.subscriber_count("c:1") == 1
    started = time.monotonic()
    assert sub.get(0.1) is None and time.monotonic() - started >= 0.09
    sub.close()
    sub.close()  # idempotent
    assert hub.subscriber_count("c:1") == 0 and hub.publish("c:1", {}) == 0


def test_local_subscription_drops_messages_beyond_its_queue(monkeypatch):
    monkeypatch.setattr(live.local, "LOCAL_QUEUE_SIZE", 3)
    hub = live.LocalHub()
    sub = hub.subscribe(["c"])
    for n in range(5):
        hub.publish("c", {"n": n})
    assert [m.data["n"] for m in drain(sub, 0.1)] == [0, 1, 2] and sub.dropped == 2


def test_listen_yields_none_on_idle_and_messages_in_order():
    hub = live.LocalHub()
    sub = hub.subscribe(["c"])
    stream = sub.listen(0.05)
    assert next(stream) is None
    hub.publish("c", {"n": 1})
    assert next(stream).data == {"n": 1}


def test_live_updates_use_redis_url_else_a_redis_broker_else_the_in_process_hub(settings):
    assert live.redis_url_for(replace(settings, redis_url="", broker_url="stub://")) == ""
    assert live.redis_url_for(replace(settings, redis_url="redis://r:6379/1", broker_url="redis://b:6379/0")) \
        == "redis://r:6379/1"
    assert live.redis_url_for(replace(settings, redis_url="", broker_url="redis://b:6379/0")) == "redis://b:6379/0"


def test_a_rolled_back_change_publishes_nothing_and_a_committed_one_publishes_after_commit(db, settings):
    product = make_product(stock=5)
    variant = first_variant(product)
    with live.subscribe([catalog.stock_channel(product.id)]) as sub:
        with pytest.raises(RuntimeError):
            with atomic():
                inventory.set_stock(variant.id, 7)
                assert sub.get(0.2) is None  # not before commit
                raise RuntimeError("roll back")
        assert drain(sub) == []
        assert InventoryLevel.get(InventoryLevel.variant == variant.id).quantity == 5
        with atomic():
            inventory.set_stock(variant.id, 8)
            assert sub.get(0.2) is None
        message = sub.get(5)
    assert message is not None and message.channel == catalog.stock_channel(product.id)
    assert message.data["productId"] == product.id and message.data["inventoryCount"] == 8
    assert message.data["variants"] == [{"variantId": variant.id, "inventoryCount": 8, "available": True}]


def test_publish_after_commit_outside_a_transaction_publishes_at_once(db, settings):
    with live.subscribe(["cartwheel:test:now"]) as sub:
        live.publish_after_commit("cartwheel:test:now", {"ok": True})
        assert sub.get(5).data == {"ok": True}


def test_an_order_change_is_announced_on_the_order_customer_and_staff_channels(db, settings):
    from models.orders import Order
    from tests.factories import make_user

    user = make_user()
    order = Order.create(order_number="SKN-2025-900001", customer=user.id, customer_email=user.email,
                         status="pending", payment_status="pending", payment_method="stripe", subtotal=100,
                         total=100, currency="USD", shipping_address={}, billing_address={}, shipping_method={})
    channels = [orders.order_channel(order.id), orders.customer_orders_channel(user.id), orders.ALL_ORDERS_CHANNEL]
    subs = [live.subscribe([c]) for c in channels]
    try:
        assert orders.mark_paid(order.id)
        for sub, channel in zip(subs, channels):
            message = sub.get(5)
            # Redis pub/sub channels are server-wide (not per database): under pytest-xdist the staff
            # channel also carries the other worker's orders, which this test skips.
            deadline = time.monotonic() + 5
            while channel == orders.ALL_ORDERS_CHANNEL and message is not None and \
                    message.data.get("orderId") != order.id:
                message = sub.get(max(0.0, deadline - time.monotonic()))
            assert message is not None and message.channel == channel
            assert (message.data["orderId"], message.data["status"], message.data["paymentStatus"]) == \
                (order.id, "confirmed", "paid")
        assert not orders.mark_paid(order.id)  # no change, no message
        assert drain(subs[0]) == []
    finally:
        for sub in subs:
            sub.close()


def test_redis_pubsub_round_trip_across_connections():
    backend = live.RedisPubSub(redis_url())
    channel = f"cartwheel:test:{time.monotonic_ns()}"
    with backend.subscribe([channel]) as sub:
        assert not sub.degraded
        assert backend.publish(channel, {"n": 1}) == 1
        assert backend.publish(channel + ":other", {"n": 2}) == 0
        message = sub.get(5)
        assert message == live.Message(channel, {"n": 1})
        assert sub.get(0.1) is None


def test_redis_pattern_subscription_receives_matching_channels_with_their_names():
    backend = live.RedisPubSub(redis_url())
    base = f"cartwheel:test:{time.monotonic_ns()}"
    other = live.RedisPubSub(redis_url())
    with backend.subscribe([base + ":all"], patterns=[base + ":user:*:events"]) as sub:
        assert not sub.degraded
        assert other.publish(base + ":user:u1:events", {"n": 1}) == 1  # live before subscribe returned
        assert other.publish(base + ":user:u1:else", {"n": 2}) == 0
        other.publish(base + ":all", {"n": 3})
        assert sub.get(5) == live.Message(base + ":user:u1:events", {"n": 1})
        assert sub.get(5) == live.Message(base + ":all", {"n": 3})
        assert sub.get(0.1) is None


def test_redis_subscription_is_live_before_subscribe_returns():
    """No gap: a publish right after subscribe() returns is received (confirmation awaited)."""
    backend = live.RedisPubSub(redis_url())
    channel = f"cartwheel:test:{time.monotonic_ns()}"
    other = live.RedisPubSub(redis_url())
    for _ in range(20):
        with backend.subscribe([channel]) as sub:
            assert other.publish(channel, {"ok": 1}) == 1
            assert sub.get(5) is not None


def test_redis_down_never_raises_and_skips_for_a_while():
    backend = live.RedisPubSub(f"redis://127.0.0.1:{closed_port()}/0")
    started = time.monotonic()
    assert backend.publish("cartwheel:x", {"n": 1}) == 0
    assert backend.publish("cartwheel:x", {"n": 2}) == 0  # skipped: no second connect attempt
    assert time.monotonic() - started < 2
    sub = backend.subscribe(["cartwheel:x"])
    assert isinstance(sub, live.NullSubscription) and sub.degraded and sub.get(0.05) is None


def test_a_broken_redis_setting_does_not_break_a_service_write(db, settings, monkeypatch):
    import config

    broken = replace(settings, redis_url=f"redis://127.0.0.1:{closed_port()}/0")
    monkeypatch.setattr(config, "_settings", broken)
    product = make_product(stock=5)
    assert inventory.set_stock(first_variant(product).id, 9) == 9
    assert InventoryLevel.get(InventoryLevel.variant == first_variant(product).id).quantity == 9


def test_publish_from_many_threads_reaches_a_local_subscriber():
    hub = live.LocalHub()
    sub = hub.subscribe(["c"])
    threads = [threading.Thread(target=lambda i=i: [hub.publish("c", {"t": i, "n": n}) for n in range(50)])
               for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(drain(sub, 0.2)) == 200


def test_a_fraud_hold_its_release_and_a_refund_are_announced_on_the_order_channel(db, settings):
    from models.orders import Order, Payment

    order = Order.create(order_number="SKN-2025-900002", customer_email="g@example.com", status="confirmed",
                         payment_status="paid", payment_method="stripe", subtotal=100, total=100, currency="USD",
                         shipping_address={}, billing_address={}, shipping_method={})
    Payment.create(order=order.id, provider="stripe", amount=100, currency="USD")
    with live.subscribe([orders.order_channel(order.id)]) as sub:
        assert orders.hold_for_review(order.id)
        assert sub.get(5).data["status"] == "on_hold"
        assert orders.release_hold(order.id)
        assert sub.get(5).data["status"] == "confirmed"
        assert orders.mark_refunded(order.id)
        assert sub.get(5).data["paymentStatus"] == "refunded"
        assert not orders.hold_for_review(Order.create(
            order_number="SKN-2025-900003", customer_email="g@example.com", status="shipped",
            payment_status="paid", payment_method="stripe", subtotal=1, total=1, currency="USD",
            shipping_address={}, billing_address={}, shipping_method={}).id)
        assert drain(sub) == []


def test_an_order_change_sends_its_customer_order_status_update_and_a_guest_order_nobody(db, settings):
    from models.orders import Order
    from services.platform import user_events
    from tests.factories import quick_user

    user = quick_user()
    fields = dict(status="pending", payment_status="pending", payment_method="stripe", subtotal=100, total=100,
                  currency="USD", shipping_address={}, billing_address={}, shipping_method={})
    order = Order.create(order_number="SKN-2025-900011", customer=user.id, customer_email=user.email, **fields)
    guest = Order.create(order_number="SKN-2025-900012", customer=None, customer_email="g@example.com", **fields)
    with live.subscribe([], [user_events.USER_CHANNEL_PATTERN]) as sub:
        assert orders.mark_paid(guest.id)
        assert orders.mark_paid(order.id)
        found = [m for m in drain(sub, 1.0) if m.data.get("data", {}).get("orderId") in (order.id, guest.id)]
    # Once, on the customer's channel; nothing for the guest order.
    assert [m.channel for m in found] == [user_events.user_channel(user.id)]
    assert found[0].data["event"] == "order_status_update"
    assert (found[0].data["data"]["status"], found[0].data["data"]["paymentStatus"]) == ("confirmed", "paid")
