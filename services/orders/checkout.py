"""Checkout (DESIGN.md section 5): synchronous checks, then the `checkout` job.

`start_checkout` validates the request against the cart (visible, active,
not empty, stock available now, the address served by a shipping zone offering the method
(priced for the cart there), the address served by a warehouse holding the units, the delivery
date bookable, payment method enabled) and writes the job. `run_checkout_job` places the order in one
transaction: lock the cart, re-price it from current variant prices (plus the lines'
customizations, re-checked against the products' current definitions: 409
`customizations_changed` when they no longer fit; wholesale prices for a wholesale customer), allocate the
units to warehouses serving the shipping address (services.orders.allocation: fewest
shipments first) and take them with conditional updates in (variant, warehouse) order
(consuming the cart's stock reservations there and releasing its other holds,
services.catalog.reservations), record the allocation (`OrderAllocation`, one shipment per
warehouse, each with its estimated delivery; the order's is the latest), apply the promotion code
(services.orders.promotions: its row locked, checked again, one use recorded), number the
order, snapshot the items (a weight line with its grams per piece and per-kilogram price; its
stock, like every stock count of a weight variant, in grams: quantity x weight), create the payment
row, debit the wallet part (services.orders.wallet_payments: a wallet order is paid there and
then) and mark the cart converted. For Stripe it then creates the
PaymentIntent (fixed idempotency key) and returns its client secret.

A re-run of the job (retry, duplicate delivery) finds the order it already
placed (`Order.job_id`) and only finishes the remaining steps. The order
transaction is the job's commit point: once it commits the job cannot be
cancelled any more (`jobs.mark_committed`), so a job never ends `cancelled`
while its order exists; a cancel requested before it rolls the order back.
"""

from __future__ import annotations

import datetime as dt

import config
from models.carts import Cart
from models.db import atomic, utcnow
from models.jobs import Job
from models.orders import Order, OrderAllocation, OrderItem, Payment
from models.users import User
from services import catalog, content, payments
from services.errors import Conflict, InsufficientStock, PaymentFailed, ValidationFailed
from services.orders import (allocation, carts, delivery_dates, payment_flow, pricing, promotions, shipping,
                            timeline, wallet_payments)
from services.orders import transitions as orders
from services.orders.live import publish_order_changed
from services.orders.numbering import next_order_number
from services.platform import JobCancelled, events, jobs

PAYMENT_METHODS = ("cash_on_delivery", "stripe", "wallet")


def _email(customer: User | None, address: dict) -> str:
    email = address.get("email") or (customer.email if customer else None)
    if not email:
        raise ValidationFailed("An email is required for guest checkout", reason="email_required",
                               details=[{"field": "shippingAddress.email", "message": "Required for guests"}])
    return email


def _order_customer(user: User | None, cart, requested: str | None) -> User | None:
    """Who the order belongs to: the cart's customer, else the caller; `customerId` may name the
    caller, or (staff only) any existing customer, and must agree with a customer's cart.
    Raises ValidationFailed (400 `customer_mismatch`, `customer_not_found`)."""
    owner_id = cart.customer_id or (user.id if user else None)
    if not requested:
        return User.get_or_none(User.id == owner_id) if owner_id else None
    mismatch = None
    if user is None or (requested != user.id and not user.is_staff):
        mismatch = "customerId must be the authenticated customer"
    elif cart.customer_id and cart.customer_id != requested:
        mismatch = "The cart belongs to another customer"
    if mismatch:
        raise ValidationFailed(mismatch, reason="customer_mismatch", status=400,
                               details=[{"field": "customerId", "message": mismatch}])
    customer = User.get_or_none(User.id == requested)
    if customer is None:
        raise ValidationFailed("Customer not found", reason="customer_not_found", status=400,
                               details=[{"field": "customerId", "message": "No such customer"}])
    return customer


def _check_customizations(lines: list) -> None:
    """Raise Conflict (409 `customizations_changed`, details per line: `items.<item id>.<path>`)
    when a line's customizations no longer fit its product's current definitions (an option
    removed or changed, a date now outside its window): the order is never placed with a
    silently different price or option; the customer chooses them again."""
    problems = carts.customization_problems(lines)
    if problems:
        raise Conflict("The customizations of some items changed; choose them again", reason="customizations_changed",
                       details=problems)


def _check_store_minimums(lines: list) -> None:
    """Each store's lines against its minimum order (services.content.check_store_minimums: 422
    `store_minimum_not_met`, `store_inactive`)."""
    content.check_store_minimums(content.store_subtotals(
        [(line.product.store_id, line.unit_price * line.item.quantity) for line in lines]))


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def start_checkout(user: User | None, request: dict) -> Job:
    """Check a Create Order request and write its `checkout` job (call inside a transaction).

    `request` keys: cart_id, shipping_address (dict), billing_address (dict or
    "same"), shipping_method, payment_method, notes, customer_id, client_ip
    (the caller's IP for fraud scoring, see web.request_info.client_ip; optional), delivery_date
    (a date or None: the delivery day booked, services.orders.delivery_dates; optional),
    saved_method_id (optional: a saved card of the customer the job charges once the order is
    placed, as one-click checkout does; services.orders.one_click), wallet_amount (optional, minor
    units: with payment_method "stripe", the part the signed-in customer's wallet pays;
    payment_method "wallet" pays the whole total from it: services.orders.wallet_payments).
    The shipping method's price is the address's zone's for the cart (services.orders.shipping).
    The order belongs to the cart's customer, else the caller; `customer_id` may
    name the caller or, for staff placing an order for someone, any existing
    customer (a customer's cart only for that customer). The order's email is the
    shipping address's, else its customer's.
    Raises NotFound (cart), Conflict (cart not active), ValidationFailed
    (empty cart or bad customer_id 400; 422 for an address no zone serves (`address_not_serviceable`),
    the shipping or payment method, a delivery date off the calendar, a store's lines under its minimum
    order or of an inactive store: services.content.check_store_minimums; the wallet's
    `wallet_requires_account`, `wallet_amount_too_large`), wallet.InsufficientFunds (409
    `wallet_insufficient_funds`), InsufficientStock (409), and
    for the cart's promotion code those of services.orders.promotions.check_for_cart.
    """
    cart = carts.get_cart(request["cart_id"], user)
    if cart.status != "active":
        raise Conflict(f"Cart is already {cart.status}", reason="cart_not_active")
    customer = _order_customer(user, cart, request.get("customer_id"))
    lines = carts.load_lines(cart.id, with_images=False)  # the order's snapshot takes them in the job
    if not lines:
        raise ValidationFailed("Cart is empty", reason="cart_empty", status=400,
                               details=[{"field": "cartId", "message": "Add items before checking out"}])
    _check_customizations(lines)
    wanted = carts.variant_quantities(lines)  # lines of one variant with other customizations add up
    short = [line for line in lines if line.stock < wanted[line.variant.id] or line.product.status != "active"]
    if short:
        raise InsufficientStock("Inventory insufficient for one or more items", reason="out_of_stock",
                                details=[{"field": f"items.{line.item.id}",
                                          "message": f"Requested {wanted[line.variant.id]}, available {line.stock}"}
                                         for line in short])
    _check_store_minimums(lines)  # 422 now, before any write: a store's lines under its minimum order
    # 422 now, before any write: an address no shipping zone serves, a method not offered there
    method = shipping.choose_method(request["shipping_method"], request["shipping_address"], shipping.parcel(lines))
    delivery_date = delivery_dates.check_delivery_date(request.get("delivery_date"))  # 422 off the calendar
    allocation.allocate(wanted, request["shipping_address"], cart_id=cart.id, method_id=method["id"])  # 422/409 now
    if cart.discount_code:  # 400/410/422 now rather than a failed job
        totals = promotions.check_for_cart(carts.discount_for(cart), customer.id if customer else None, lines,
                                           method["price"])
    else:
        totals = pricing.compute_totals([(line.unit_price, line.item.quantity) for line in lines], method["price"],
                                        None)
    # 422 / 409 `wallet_insufficient_funds` now, before the job is written (the job debits it)
    wallet_amount = wallet_payments.wallet_amount_for(user, customer, request["payment_method"],
                                                      request.get("wallet_amount"), totals.total, cart.currency)
    if request["payment_method"] == "stripe":  # 422 card_amount_below_minimum: Stripe would refuse the charge
        _check_card_part(totals.total, wallet_amount, cart.currency)
    if request["payment_method"] == "stripe" and not config.get().stripe_enabled:
        raise ValidationFailed("Card payments are not enabled on this shop", reason="payment_method_unavailable",
                               details=[{"field": "paymentMethod", "message": "Use cash_on_delivery"}])
    email = _email(customer or user, request["shipping_address"])
    billing = request["billing_address"]
    payload = {
        "cartId": cart.id, "customerId": customer.id if customer else None, "email": email,
        "shippingAddress": request["shipping_address"],
        "billingAddress": request["shipping_address"] if billing in (None, "same") else billing,
        "shippingMethod": method, "paymentMethod": request["payment_method"], "notes": request.get("notes") or "",
        "clientIp": request.get("client_ip"), "savedPaymentMethodId": request.get("saved_method_id"),
        "deliveryDate": delivery_date.isoformat() if delivery_date else None,
        "walletAmount": wallet_amount if request["payment_method"] == "stripe" else None,
    }
    return jobs.create_job("checkout", payload, owner_id=user.id if user else None,
                           total=_steps(request.get("saved_method_id")))


def place_order(job: Job) -> Order:
    """Place the order for a checkout job in one transaction (see module docstring).

    The job must be running: the transaction ends by marking it committed
    (`jobs.mark_committed`), after which a cancel is refused (409) and the job
    finishes with its order. Raises JobCancelled when a cancel was requested
    before that point, Conflict (cart already converted; `customizations_changed`), ValidationFailed (cart
    empty, product no longer sold), InsufficientStock (409) - each rolls back everything.
    """
    p = job.payload
    with atomic():
        existing = Order.get_or_none(Order.job_id == job.id)
        if existing is not None:
            return existing
        cart = carts.lock_cart(p["cartId"])
        if cart.status != "active":
            raise Conflict(f"Cart is already {cart.status}", reason="cart_not_active")
        lines = carts.load_lines(cart.id)
        if not lines:
            raise ValidationFailed("Cart is empty", reason="cart_empty", status=400)
        gone = [line.product.name for line in lines if line.product.status != "active"]
        if gone:
            raise ValidationFailed(f"No longer sold: {', '.join(gone)}", reason="product_unavailable")
        _check_customizations(lines)
        _check_store_minimums(lines)  # current prices: a store's minimum is checked again
        quantities = carts.variant_quantities(lines)
        method_id = p["shippingMethod"]["id"]
        # Consumes the cart's reservations in the warehouses chosen; re-allocates after a lost race.
        shipments, unused = allocation.allocate_and_take(quantities, p["shippingAddress"], cart.id, method_id)
        catalog.release_rows(unused)  # holds the allocation did not use

        code = None
        if cart.discount_code:  # locked until commit: racing checkouts count its uses one by one
            code = promotions.lock_usable(carts.discount_for(cart), p["customerId"])
            totals = promotions.check_for_cart(code, p["customerId"], lines, p["shippingMethod"]["price"])
        else:
            totals = pricing.compute_totals([(line.unit_price, line.item.quantity) for line in lines],
                                            p["shippingMethod"]["price"], None)

        now = utcnow()
        cod = p["paymentMethod"] == "cash_on_delivery"
        by_wallet = p["paymentMethod"] == "wallet"
        wallet_amount = totals.total if by_wallet else (p.get("walletAmount") or 0)
        if wallet_amount and not by_wallet and wallet_amount >= totals.total:  # prices fell since the request
            raise ValidationFailed(f"walletAmount must be below the total {totals.total}",
                                   reason="wallet_amount_too_large")
        if p["paymentMethod"] == "stripe":  # prices changed since the request: the card part again
            _check_card_part(totals.total, wallet_amount, cart.currency)
        order = Order.create(
            order_number=next_order_number(now.year), cart=cart.id, customer=p["customerId"],
            customer_email=p["email"], status="confirmed" if cod else "pending", payment_status="pending",
            payment_method=p["paymentMethod"], subtotal=totals.subtotal, tax=totals.tax, shipping=totals.shipping,
            discount=totals.discount, total=totals.total, currency=cart.currency,
            discount_code=code.code if code else None,
            shipping_address=p["shippingAddress"], billing_address=p["billingAddress"],
            shipping_method=p["shippingMethod"], estimated_delivery=allocation.estimated_delivery(
                shipments, method_id, now.date()), delivery_date=_date(p.get("deliveryDate")),
            notes=p["notes"], job_id=job.id, client_ip=p.get("clientIp"), wallet_amount=wallet_amount,
            created_at=now, updated_at=now)
        OrderItem.insert_many([{
            "order": order.id, "product_id": line.product.id, "variant_id": line.variant.id,
            "quantity": line.item.quantity, "unit_price": line.unit_price,
            "total_price": line.unit_price * line.item.quantity, "customizations": line.customizations,
            "weight_grams": line.weight, "price_per_kg": line.price_per_kg,
            "source_video_id": line.item.source_video_id, "store_id": line.product.store_id,
            "product_snapshot": {"name": line.product.name, "slug": line.product.handle, "image": line.image,
                                 "storeId": line.product.store_id,
                                 "vendor": line.product.vendor, "customizations": line.customizations,
                                 "variant": {"name": line.variant.name, "sku": line.variant.sku,
                                             "options": line.variant.option_values,
                                             "weightGrams": line.variant.weight_grams,
                                             "soldBy": line.variant.sold_by, "price": line.variant.price}},
        } for line in lines]).execute()
        OrderAllocation.insert_many([{
            "order": order.id, "warehouse": s.warehouse.id, "variant_id": variant_id, "quantity": n,
            "estimated_delivery": allocation.shipment_delivery(s, method_id, now.date()),
        } for s in shipments for variant_id, n in sorted(s.quantities.items())]).execute()
        Payment.create(order=order.id, provider=p["paymentMethod"], amount=totals.total, currency=cart.currency)
        latest = timeline.record_events(order.id, ["placed", "confirmed"] if cod else ["placed"])
        wallet_payments.take_for_order(order)  # 409 wallet_insufficient_funds rolls everything back
        if by_wallet:
            orders.mark_paid(order.id)  # paid and confirmed now; `order.paid` earns its loyalty points
            order, latest = Order.get_by_id(order.id), None  # and its steps recorded
        if code is not None:
            promotions.record_use(code, order.id, p["customerId"], totals.discount + totals.shipping_discount)
        converted = Cart.update(status="converted", converted_at=now, updated_at=now).where(
            Cart.id == cart.id, Cart.status == "active").execute()
        if not converted:
            raise Conflict("Cart was converted by another checkout", reason="cart_not_active")
        # Child jobs, committed with the order: fraud scoring and the order-placed fan-out.
        jobs.create_jobs([jobs.JobSpec("fraud_score", {"orderId": order.id}, parent_id=job.id),
                          events.event_job("order.placed", order.id, {"orderNumber": order.order_number},
                                           parent_id=job.id)])  # one INSERT
        publish_order_changed(order, latest)  # sent after commit, to the customer's and staff streams
        # The commit point: from here the job can no longer be cancelled (it will finish with
        # the order). A cancel requested earlier wins instead, and everything rolls back.
        if not jobs.mark_committed(job.id, 1, _steps(p.get("savedPaymentMethodId")),
                                   f"order {order.order_number} placed"):  # the progress step, same UPDATE
            raise JobCancelled(job.id)
    return order


def _check_card_part(total: int, wallet_amount: int, currency: str) -> None:
    """The card's part of a Stripe order (the total less the wallet's, minor units) against Stripe's
    minimum charge (services.payments.check_card_amount: 422 `card_amount_below_minimum`)."""
    if wallet_amount:
        payments.check_card_amount(total - wallet_amount, currency, "walletAmount",
                                   "Leave at least Stripe's minimum for the card, or use paymentMethod wallet")
    else:
        payments.check_card_amount(total, currency, "paymentMethod", "Below Stripe's minimum charge: pay on delivery")


def _steps(saved_method_id: str | None) -> int:
    """The checkout job's progress steps: the order placed, its PaymentIntent, and for a one-click
    checkout the saved card charged."""
    return 3 if saved_method_id else 2


def _charge_saved_card(order: Order, saved_method_id: str, result: dict) -> str:
    """Charge the order with its customer's saved card; returns the outcome (payment_flow
    `sync_payment_intent`'s). Raises PaymentFailed (declined: the order is cancelled, its stock
    released) with `result` and the order's latest status merged into the failure's, NotFound
    (the card was deleted meanwhile)."""
    try:
        charged = payment_flow.charge_order(order, *payments.charge_target(order.customer_id, saved_method_id))
    except PaymentFailed as exc:
        latest = Order.get_by_id(order.id)
        exc.result = {**result, **(getattr(exc, "result", None) or {}), "status": latest.status,
                      "paymentStatus": latest.payment_status}
        raise
    return charged["outcome"]


def run_checkout_job(job: Job, ctx) -> dict:
    """`checkout` job handler. Result: `{"orderId", "orderNumber", "status", "paymentStatus",
    "total", "currency"}` plus `{"paymentIntentId", "clientSecret"}` for Stripe. An order
    cancelled before its PaymentIntent was stored gets a `payment_refund` job here (the
    cancellation's own job may have found no PaymentIntent to void). A one-click checkout also
    charges the saved card (`outcome`), failing with PaymentFailed when it is declined."""
    saved_card = job.payload.get("savedPaymentMethodId")
    order = place_order(job)  # records the progress step "order ... placed" at its commit point
    result = {"orderId": order.id, "orderNumber": order.order_number, "status": order.status,
              "paymentStatus": order.payment_status, "total": order.total, "currency": order.currency}
    if order.payment_method == "stripe":
        try:
            payment = payments.ensure_payment_intent(order)
        except PaymentFailed as exc:  # Stripe refused: the order cannot be paid, give the stock back
            orders.mark_payment_failed(order.id, exc.message)
            exc.result = dict(result, status="cancelled", paymentStatus="failed")
            raise
        result.update(paymentIntentId=payment.provider_ref, clientSecret=payment.client_secret)
        if saved_card:
            ctx.progress(2, _steps(saved_card), "charging the saved card")
            result["outcome"] = _charge_saved_card(order, saved_card, result)
        order = Order.get_by_id(order.id)
        if saved_card:
            result.update(status=order.status, paymentStatus=order.payment_status)
        if order.status == "cancelled":  # cancelled while the PaymentIntent was being created: void it
            with atomic():
                orders.request_refund(order.id, "order_cancelled")
            result.update(status=order.status, paymentStatus=order.payment_status)
    return result
