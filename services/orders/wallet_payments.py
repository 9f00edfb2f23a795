"""Paying an order with the customer's wallet (issue 11, seed 002 `paymentMethod: "wallet"`), and
giving wallet money back (services.wallet's ledger; this package calls it, never the reverse).

- `paymentMethod: "wallet"`: the whole total comes from the signed-in customer's wallet in the
  order's currency; the order is paid when it is placed (services.orders.transitions.mark_paid,
  which earns its loyalty points like a card payment).
- `paymentMethod: "stripe"` with `walletAmount`: that part (1 <= walletAmount < total, minor
  units) comes from the wallet, the card pays the rest (the PaymentIntent's amount is
  `card_amount(order)`).

The wallet is debited INSIDE the order's transaction (`take_for_order`; ledger source
`("order", order id, "spending")`), so a failed checkout writes nothing and a retried job debits
once; the wallet row stays locked until the order commits, so racing checkouts of one wallet
are serialised and the balance never goes negative (409 `wallet_insufficient_funds`).

Money back to the wallet is a `Refund` row with `to_wallet` set (status succeeded at once,
`provider_ref` the ledger line `wtx_...`) and a ledger credit `("order_refund", refund id,
"refund")`: applied once per refund. A cancellation gives back the wallet part not refunded yet
(`return_for_cancellation`, once per order). A staff refund of a split payment takes from the
wallet part first (`split_refund`): the wallet money comes back at once, the card's only for what
exceeds it.
"""

from __future__ import annotations

from models.orders import LIVE_REFUND_STATUSES, Order, Payment, Refund
from models.users import User
from services import wallet
from services.errors import ValidationFailed


def wallet_amount_for(user: User | None, customer: User | None, payment_method: str, wallet_amount: int | None,
                      total: int, currency: str) -> int:
    """Minor units a checkout takes from the wallet: `total` for "wallet", `wallet_amount` (or 0)
    for "stripe", 0 otherwise; checked against the caller's balance in `currency`. Raises
    ValidationFailed (422 `wallet_requires_account`: a guest, or the order is someone else's;
    `wallet_amount_too_large`: not below the total; `wallet_amount_not_allowed`: walletAmount with
    another method than stripe) and wallet.InsufficientFunds (409 `wallet_insufficient_funds`)."""
    if payment_method != "wallet" and not wallet_amount:
        return 0
    if wallet_amount and payment_method != "stripe":
        raise ValidationFailed("walletAmount goes with paymentMethod stripe", reason="wallet_amount_not_allowed",
                               details=[{"field": "walletAmount", "message": "Use paymentMethod wallet or stripe"}])
    if user is None or customer is None or customer.id != user.id:
        field = "paymentMethod" if payment_method == "wallet" else "walletAmount"
        raise ValidationFailed("Sign in to pay with your wallet (for your own order)", reason="wallet_requires_account",
                               details=[{"field": field, "message": "A signed-in customer's own order"}])
    amount = total if payment_method == "wallet" else wallet_amount
    if payment_method == "stripe" and amount >= total:
        raise ValidationFailed(f"walletAmount must be below the total {total}", reason="wallet_amount_too_large",
                               details=[{"field": "walletAmount",
                                         "message": f"Between 1 and {total - 1}; paymentMethod wallet pays it all"}])
    available = wallet.balance(user.id, currency)["available"]
    if amount > available:
        raise wallet.InsufficientFunds(f"The wallet holds {available}, {amount} is needed (minor units of {currency})",
                                       details=[{"field": "walletAmount" if payment_method == "stripe"
                                                 else "paymentMethod", "message": f"At most {available} available"}])
    return amount


def take_for_order(order: Order) -> None:
    """Debit the order's `wallet_amount` from its customer's wallet (call inside the order's
    transaction). Raises wallet.InsufficientFunds (409), rolling the order back."""
    if order.wallet_amount > 0:
        wallet.debit(order.customer_id, order.wallet_amount, order.currency, source_type="order",
                     source_ref=order.id, description=f"Order {order.order_number}")


def card_amount(order: Order) -> int:
    """What the card pays of `order` (minor units): the total less the wallet part."""
    return order.total - order.wallet_amount


def _given_to_wallet(order_id: str) -> int:
    return sum(r.amount for r in Refund.select(Refund.amount).where(
        Refund.order == order_id, Refund.to_wallet == True, Refund.status.in_(LIVE_REFUND_STATUSES)))  # noqa: E712


def wallet_left(order: Order) -> int:
    """The wallet part of `order` not given back yet (minor units)."""
    return max(order.wallet_amount - _given_to_wallet(order.id), 0)


def refund_to_wallet(order: Order, amount: int, kind: str, reason: str, lines: list | None = None,
                     staff: User | None = None) -> Refund:
    """Give `amount` (> 0 minor units) of `order` back to its customer's wallet (call inside a
    transaction): a succeeded `Refund` (`kind` cancellation | manual, `to_wallet`) and its ledger
    credit (type refund, source ("order_refund", refund id))."""
    payment = Payment.get(Payment.order == order.id)
    refund = Refund.create(order=order.id, payment=payment.id, amount=amount, currency=order.currency,
                           status="succeeded", reason=(reason or "requested")[:200], kind=kind, lines=lines or [],
                           created_by=staff.id if staff else None, to_wallet=True)
    line = wallet.credit(order.customer_id, amount, order.currency, type="refund", source_type="order_refund",
                         source_ref=refund.id, description=f"Refund of order {order.order_number}",
                         metadata={"orderId": order.id})
    Refund.update(provider_ref=line.id).where(Refund.id == refund.id).execute()
    refund.provider_ref = line.id
    return refund


def return_for_cancellation(order_id: str, reason: str = "order_cancelled") -> Refund | None:
    """A cancelled order's wallet part not given back yet goes back to the wallet, once (call in
    the cancelling transaction; a cancellation refund to the wallet already recorded -> None)."""
    order = Order.get_by_id(order_id)
    left = wallet_left(order)
    already = Refund.select().where(Refund.order == order_id, Refund.to_wallet == True,  # noqa: E712
                                    Refund.kind == "cancellation").exists()
    if left <= 0 or already or order.customer_id is None:
        return None
    return refund_to_wallet(order, left, "cancellation", reason)


def split_refund(order: Order, amount: int) -> tuple[int, int]:
    """(to the wallet, to the card or cash) of a staff refund of `amount`: the wallet part first."""
    to_wallet = min(amount, wallet_left(order)) if order.customer_id else 0
    return to_wallet, amount - to_wallet
