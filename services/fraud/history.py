"""Order facts and history for ml.fraud.features.compute_features, the one feature function
of training and scoring.

- `order_facts`: OrderFacts of given orders (signals created first).
- `scoring_history` / `features_for_scoring`: one order, from a targeted history query.
- `training_history` / `features_for_training`: many orders, from one bulk history.
"""

from __future__ import annotations

import datetime as dt

import peewee

from ml.fraud import geo
from ml.fraud.features import MAX_WINDOW, History, OrderFacts, compute_features
from models.fraud import FraudSignal
from models.orders import Order, OrderItem
from models.users import User
from services.errors import NotFound
from services.fraud.signals import ensure_signals


def _facts_query():
    quantity = (OrderItem.select(peewee.fn.COALESCE(peewee.fn.SUM(OrderItem.quantity), 0))
                .where(OrderItem.order == Order.id))
    return (FraudSignal.select(FraudSignal, Order.total.alias("amount"), Order.payment_status.alias("pay_status"),
                               Order.payment_method.alias("pay_method"), User.created_at.alias("account_created"),
                               quantity.alias("qty"))
            .join(Order, on=(FraudSignal.order == Order.id))
            .join(User, peewee.JOIN.LEFT_OUTER, on=(Order.customer == User.id)))


def _facts(row, addresses: dict | None = None) -> OrderFacts:
    distance = None
    if addresses is not None and row.order_id in addresses:
        shipping, billing = addresses[row.order_id]
        distance = geo.address_distance_km(billing, shipping)
    return OrderFacts(
        order_id=row.order_id, created_at=row.created_at, amount=int(row.amount),
        customer_key=row.customer_id or f"email:{row.email}", email=row.email, email_domain=row.email_domain,
        client_ip=row.client_ip, ip_country=row.ip_country, card_fingerprint=row.card_fingerprint,
        shipping_key=row.shipping_key, shipping_country=row.shipping_country, billing_country=row.billing_country,
        payment_failed=row.pay_status == "failed", payment_method=row.pay_method,
        item_quantity=int(row.qty or 0), account_created_at=row.account_created, address_distance_km=distance)


def order_facts(order_ids: list[str]) -> list[OrderFacts]:
    """OrderFacts (with address distance) of `order_ids`, creating missing signals first."""
    ensure_signals(order_ids)
    addresses = {o.id: (o.shipping_address, o.billing_address) for o in
                 Order.select(Order.id, Order.shipping_address, Order.billing_address).where(Order.id.in_(order_ids))}
    rows = _facts_query().where(FraudSignal.order.in_(order_ids)).objects()
    by_id = {r.order_id: _facts(r, addresses) for r in rows}
    return [by_id[i] for i in order_ids if i in by_id]


def scoring_history(target: OrderFacts) -> History:
    """The earlier orders one order's features need: every order sharing its email, IP, card or
    shipping address within the longest velocity window, and all of the customer's orders."""
    since = target.created_at - MAX_WINDOW
    related = ((FraudSignal.email == target.email) | (FraudSignal.shipping_key == target.shipping_key))
    if target.client_ip:
        related |= FraudSignal.client_ip == target.client_ip
    if target.card_fingerprint:
        related |= FraudSignal.card_fingerprint == target.card_fingerprint
    window = related & (FraudSignal.created_at >= since) & (FraudSignal.created_at < target.created_at)
    if target.customer_key.startswith("email:"):
        customer = FraudSignal.email == target.email
    else:
        customer = FraudSignal.customer_id == target.customer_key
    customer &= FraudSignal.created_at < target.created_at
    history = History()
    for row in _facts_query().where(window | customer).objects():
        history.add(_facts(row))
    return history.freeze()


def training_history(until: dt.datetime | None = None) -> History:
    """Every order (up to `until`) in one History, for computing a whole training set."""
    query = _facts_query()
    if until is not None:
        query = query.where(FraudSignal.created_at <= until)
    history = History()
    for row in query.objects():
        history.add(_facts(row))
    return history.freeze()


def features_for_scoring(order_id: str) -> dict:
    """The scoring path: one order's features from a targeted history query."""
    target = order_facts([order_id])
    if not target:
        raise NotFound("Order not found", reason="order_not_found")
    return compute_features(target[0], scoring_history(target[0]))


def features_for_training(order_ids: list[str]) -> list[dict]:
    """The training path: features of many orders from one bulk history."""
    ensure_signals()
    targets = order_facts(order_ids)
    history = training_history(max((t.created_at for t in targets), default=None))
    return [compute_features(t, history) for t in targets]
