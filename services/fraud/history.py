"""Order facts and history for ml.fraud.features.compute_features, the one feature function
of training and scoring.

- `order_facts`: OrderFacts of given orders (signals created first).
- `scoring_history` / `scoring_inputs` / `features_for_scoring_many`: a batch of orders to score,
  from one targeted history query.
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


def order_facts(order_ids: list[str], orders: dict | None = None) -> list[OrderFacts]:
    """OrderFacts (with address distance) of `order_ids`, creating missing signals first.
    `orders`: `{order id: Order}` when the caller has the rows (their addresses are not read again)."""
    ensure_signals(order_ids)
    rows = orders.values() if orders is not None else (
        Order.select(Order.id, Order.shipping_address, Order.billing_address).where(Order.id.in_(order_ids)))
    addresses = {o.id: (o.shipping_address, o.billing_address) for o in rows}
    rows = _facts_query().where(FraudSignal.order.in_(order_ids)).objects()
    by_id = {r.order_id: _facts(r, addresses) for r in rows}
    return [by_id[i] for i in order_ids if i in by_id]


def _related(targets: tuple[OrderFacts, ...]):
    """A condition covering the rows the targets' features need: every order sharing an email,
    IP, card or shipping address with one of them within the longest velocity window before it,
    and all of their customers' earlier orders. Flat IN lists (one per key), so it stays one
    short expression however many targets a batch holds."""
    def values(attr):
        return sorted({getattr(t, attr) for t in targets if getattr(t, attr)})

    latest = max(t.created_at for t in targets)
    since = min(t.created_at for t in targets) - MAX_WINDOW
    shared = (FraudSignal.email.in_(values("email")) | FraudSignal.shipping_key.in_(values("shipping_key"))
              | FraudSignal.client_ip.in_(values("client_ip"))
              | FraudSignal.card_fingerprint.in_(values("card_fingerprint")))
    customers = sorted({t.customer_key for t in targets if not t.customer_key.startswith("email:")})
    guests = sorted({t.email for t in targets if t.customer_key.startswith("email:")})
    own = FraudSignal.customer_id.in_(customers) | FraudSignal.email.in_(guests)
    return (((FraudSignal.created_at >= since) & shared) | own) & (FraudSignal.created_at < latest)


def scoring_history(*targets: OrderFacts) -> History:
    """The earlier orders the targets' features need, from ONE query (`_related`). A History
    holding more orders than one target needs gives that target the same features:
    compute_features only counts orders strictly before it that share its keys."""
    history = History()
    if not targets:
        return history.freeze()
    for row in _facts_query().where(_related(targets)).objects():
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
    """The scoring path for one order. Raises NotFound."""
    features = features_for_scoring_many([order_id])
    if order_id not in features:
        raise NotFound("Order not found", reason="order_not_found")
    return features[order_id]


def features_for_scoring_many(order_ids: list[str]) -> dict[str, dict]:
    """The scoring path: {order id: features} of existing orders among `order_ids`, from one
    facts query and one targeted history query for all of them (a batch of fraud_score jobs)."""
    return {facts.order_id: features for facts, features in scoring_inputs(order_ids)}


def scoring_inputs(order_ids: list[str], orders: dict | None = None) -> list[tuple[OrderFacts, dict]]:
    """(facts, features) of each existing order among `order_ids` (signals created first), from
    one facts query and one history query for all of them (`orders` as for `order_facts`)."""
    targets = order_facts(order_ids, orders)
    history = scoring_history(*targets)
    return [(t, compute_features(t, history)) for t in targets]


def features_for_training(order_ids: list[str]) -> list[dict]:
    """The training path: features of many orders from one bulk history."""
    ensure_signals()
    targets = order_facts(order_ids)
    history = training_history(max((t.created_at for t in targets), default=None))
    return [compute_features(t, history) for t in targets]
