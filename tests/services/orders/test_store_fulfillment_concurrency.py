"""Every store of an order delivering its part at the same moment (one thread each): each update
lands, the order is shipped once and delivered once, and its delivery effects (cash collected, one
cashback job) happen once (PostgreSQL: the order row lock; SQLite: the write lock)."""

from __future__ import annotations

from models.orders import Order, OrderEvent, OrderFulfillment
from models.stores import StoreStaff
from services import orders
from tests.factories import quick_user
from tests.services.orders.test_cashback import cashback_jobs, make_order, partner
from tests.services.orders.test_cashback_concurrency import THREADS, _parallel


def test_parallel_parts_ship_and_deliver_the_order_once(db):
    stores = [partner(100, name=f"Store {n}") for n in range(THREADS)]
    staff = [quick_user() for _ in stores]
    for store_id, user in zip(stores, staff):
        StoreStaff.create(store=store_id, user=user.id)
    order = make_order(quick_user(), [(store_id, 1000, 1) for store_id in stores], status="confirmed")
    Order.update(payment_status="pending").where(Order.id == order.id).execute()
    turns = iter(zip(stores, staff))

    def deliver_my_part():
        store_id, user = next(turns)
        orders.update_store_fulfillment(order.id, store_id, "delivered", user, manage_all=False)

    _parallel(deliver_my_part)
    order = Order.get_by_id(order.id)
    assert order.status == "delivered" and order.payment_status == "paid"
    assert OrderFulfillment.select().where(OrderFulfillment.status == "delivered").count() == THREADS
    types = [e.type for e in OrderEvent.select().where(OrderEvent.order == order.id)]
    assert types.count("shipped") == 1 and types.count("delivered") == 1 and types.count("paid") == 1
    assert types.count("fulfillment_updated") == THREADS
    assert len(cashback_jobs(order.id)) == 1
