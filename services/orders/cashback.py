"""Partner cashback (seed 002 "Stores" offers, issue 11): a delivered order's lines from partner
stores credit the store's cashback percentage to the buyer's wallet, and refunds take it back.

Who: an order with a signed-in customer (`Order.customer`; guests get none) and at least one line
(`product_snapshot["storeId"]`) of a PARTNER store whose `cashback_bp` (hundredths of a percent)
is > 0 (services.content.cashback_rates).

When: `schedule_on_delivery` writes a `cashback` job in the transaction that marks the order
delivered (services.orders.transitions.update_status; transactional outbox), with the stores'
rates at delivery in its payload (`{"orderId", "rates": {store id: bp}}`), so a rate changed
afterwards does not change what this order earns. `schedule_reversal` writes one (payload
`{"orderId"}`) whenever a delivered eligible order's refunds change
(`transitions.follow_refunds`: staff refunds by cash, by card, and Stripe's later updates).

Amounts (minor units of the order's currency), per store s:
`base_s = round_half_up(goods_s x (subtotal - discount) / subtotal)`, goods_s the store's line
totals (its share of the order's discount taken off; tax and shipping earn nothing), and
`cashback_s = round_half_up(base_s x bp_s / 10000)`; the order's cashback is the sum. One
`earning` ledger line, `source_type="cashback"`, `source_ref=<order id>`, metadata
`{"orderNumber", "stores": [{"storeId", "base", "rateBp", "amount"}]}`.

Reversal, once per succeeded refund (`spending` line, `source_type="cashback_reversal"`,
`source_ref=<refund id>`): by lines, `round_half_up(goods x (subtotal - discount) x bp /
(subtotal x 10000))` summed over the refunded lines' cashback stores; by amount,
`round_half_up(cashback x refund amount / amount paid)`; a refund that brings the refunds to the
whole payment takes back everything not yet asked back. Never more than was credited in total.
The buyer may have spent the cashback already: the reversal takes what the wallet holds
(`services.wallet.debit_up_to`, the balance never below 0) and records the rest as `shortfall`
in the line's metadata, written off (as marketplaces do for small clawbacks); a wallet holding
nothing gets no line, and the next settlement of the order (another refund) tries again.

Exactly once: `settle` locks the order row (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite's write
lock) for the whole run, and every ledger line is keyed (source_type, source_ref, type), so
retried, duplicated or parallel jobs credit and reverse once.
"""

from __future__ import annotations

from decimal import Decimal

from models.db import atomic, is_postgres
from models.jobs import Job
from models.orders import Order, OrderItem, Payment, Refund
from services import content, wallet
from services.orders.pricing import round_half_up
from services.platform import jobs

BP_PER_UNIT = 10_000  # hundredths of a percent in 1


def _items(order_id: str) -> list[OrderItem]:
    return list(OrderItem.select().where(OrderItem.order == order_id).order_by(OrderItem.id))


def eligible_rates(order: Order, items: list[OrderItem]) -> dict[str, int]:
    """store id -> cashback bp of the order's partner stores giving cashback; {} for a guest order."""
    if order.customer_id is None:
        return {}
    return content.cashback_rates([item.store_id for item in items])


def _base(order: Order, goods: int) -> Decimal:
    """`goods` minor units after their share of the order's discount (unrounded)."""
    if not order.subtotal:
        return Decimal(0)
    return Decimal(goods) * (order.subtotal - order.discount) / order.subtotal


def compute(order: Order, items: list[OrderItem], rates: dict[str, int]) -> tuple[int, list[dict]]:
    """(total cashback, `[{"storeId", "base", "rateBp", "amount"}]`) in minor units (module docstring)."""
    goods: dict[str, int] = {}
    for item in items:
        store_id = item.store_id
        if store_id in rates:
            goods[store_id] = goods.get(store_id, 0) + item.total_price
    stores = []
    for store_id, total in goods.items():
        base = round_half_up(_base(order, total))
        amount = round_half_up(Decimal(base) * rates[store_id] / BP_PER_UNIT)
        stores.append({"storeId": store_id, "base": base, "rateBp": rates[store_id], "amount": amount})
    return sum(s["amount"] for s in stores), stores


def schedule_on_delivery(order: Order) -> Job | None:
    """Write the order's `cashback` job (call inside the transaction marking it delivered), or
    None when it earns none (guest, no partner store with cashback)."""
    rates = eligible_rates(order, _items(order.id))
    if not rates:
        return None
    return jobs.create_job("cashback", {"orderId": order.id, "rates": rates}, owner_id=order.customer_id)


def schedule_reversal(order_id: str) -> Job | None:
    """Write a `cashback` job settling a delivered order's refunds (call inside the refund's
    transaction), or None when the order is not delivered or earns no cashback."""
    order = Order.get_by_id(order_id)
    if order.status != "delivered" or not eligible_rates(order, _items(order_id)):
        return None
    return jobs.create_job("cashback", {"orderId": order_id}, owner_id=order.customer_id)


def _refunded_goods(refund: Refund, items: dict[str, OrderItem], rates: dict[str, int]) -> dict[str, int]:
    goods: dict[str, int] = {}
    for line in refund.lines or []:
        item = items.get(line["itemId"])
        store_id = item.store_id if item is not None else None
        if store_id in rates:
            goods[store_id] = goods.get(store_id, 0) + item.unit_price * line["quantity"]
    return goods


def _reversal_wanted(order: Order, refund: Refund, credited: int, paid: int, items: dict[str, OrderItem],
                     rates: dict[str, int]) -> int:
    if refund.lines:
        return sum(round_half_up(_base(order, goods) * rates[store_id] / BP_PER_UNIT)
                   for store_id, goods in _refunded_goods(refund, items, rates).items())
    return round_half_up(Decimal(credited) * refund.amount / paid) if paid else credited


def _lock(order_id: str) -> Order:
    query = Order.select().where(Order.id == order_id)
    return (query.for_update() if is_postgres() else query).get()


def settle(order_id: str, rates: dict[str, int] | None = None) -> dict:
    """Credit a delivered order's cashback once (with `rates`, store id -> bp, when given: the
    delivery job's; a settlement without them credits nothing new) and reverse it for each
    succeeded refund not reversed yet. Returns `{"orderId", "credited" (minor units, 0: none),
    "transactionId" | None, "reversals": [{"refundId", "requested", "taken", "shortfall",
    "transactionId"}]}` (this run's new reversals)."""
    with atomic():
        order = _lock(order_id)
        outcome = {"orderId": order.id, "credited": 0, "transactionId": None, "reversals": []}
        if order.status != "delivered" or order.customer_id is None:
            return outcome
        items = _items(order.id)
        line = wallet.find_line("cashback", order.id, "earning")
        if line is None and rates:
            amount, stores = compute(order, items, rates)
            if amount > 0:
                line = wallet.credit(order.customer_id, amount, order.currency, type="earning",
                                     source_type="cashback", source_ref=order.id,
                                     description=f"Cashback on order {order.order_number}",
                                     metadata={"orderNumber": order.order_number, "stores": stores})
        if line is None:
            return outcome
        outcome.update(credited=line.amount, transactionId=line.id)
        outcome["reversals"] = _reverse(order, line, items)
    return outcome


def _reverse(order: Order, line, items: list[OrderItem]) -> list[dict]:
    """The reversals this run writes for the order's succeeded refunds (oldest first)."""
    rates = {s["storeId"]: s["rateBp"] for s in (line.metadata or {}).get("stores", [])}
    credited = line.amount
    payment = Payment.get_or_none(Payment.order == order.id)
    paid = payment.amount if payment is not None else order.total
    by_id = {item.id: item for item in items}
    refunds = list(Refund.select().where(Refund.order == order.id, Refund.status == "succeeded")
                   .order_by(Refund.created_at, Refund.id))
    asked, refunded, written = 0, 0, []
    for refund in refunds:
        refunded += refund.amount
        done = wallet.find_line("cashback_reversal", refund.id, "spending")
        if done is not None:
            asked += (done.metadata or {}).get("requested", -done.amount)
            continue
        left = credited - asked
        want = left if refunded >= paid else min(_reversal_wanted(order, refund, credited, paid, by_id, rates), left)
        if want <= 0:
            continue
        taken = wallet.debit_up_to(order.customer_id, want, order.currency, source_type="cashback_reversal",
                                   source_ref=refund.id, description=f"Cashback reversed: order {order.order_number}",
                                   metadata={"orderId": order.id, "refundId": refund.id})
        if taken is not None:
            asked += want
        written.append({"refundId": refund.id, "requested": want, "taken": -taken.amount if taken else 0,
                        "shortfall": want + taken.amount if taken else want,
                        "transactionId": taken.id if taken else None})
    return written


def cashback_view(order: Order, items: list[OrderItem]) -> dict | None:
    """The order's cashback: `{"amount" (minor units: credited, else what delivery would credit at
    today's rates), "currency", "status": pending | credited | reversed, "reversedAmount" (minor
    units taken back so far)}`; None when the order earns none. `reversed`: everything credited
    was asked back by refunds. An order of a guest, or with no line of a store, earns none: nothing
    is read for it."""
    if order.customer_id is None or not any(item.store_id for item in items):
        return None
    line = wallet.find_line("cashback", order.id, "earning")
    if line is None:
        if order.status == "cancelled":
            return None
        amount, _ = compute(order, items, eligible_rates(order, items))
        if amount <= 0:
            return None
        return {"amount": amount, "currency": order.currency, "status": "pending", "reversedAmount": 0}
    refund_ids = [r.id for r in Refund.select(Refund.id).where(Refund.order == order.id)]
    asked = taken = 0
    for refund_id in refund_ids:
        done = wallet.find_line("cashback_reversal", refund_id, "spending")
        if done is not None:
            asked += (done.metadata or {}).get("requested", -done.amount)
            taken += -done.amount
    return {"amount": line.amount, "currency": line.currency,
            "status": "reversed" if asked >= line.amount else "credited", "reversedAmount": taken}


def run_cashback_job(job: Job, ctx) -> dict:
    """`cashback` job handler: payload `{"orderId", "rates"?}` -> `settle`."""
    return settle(job.payload["orderId"], job.payload.get("rates"))
