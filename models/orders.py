"""Orders, order items (with a product snapshot), payments, refunds and Stripe events."""

import peewee

from models.carts import Cart, DiscountCode
from models.catalog import Warehouse
from models.db import BaseModel, JSONField, PrefixedIdField, utcnow
from models.users import User

ORDER_STATUSES = ("pending", "on_hold", "confirmed", "processing", "shipped", "delivered", "cancelled")
PAYMENT_STATUSES = ("pending", "processing", "paid", "failed", "partially_refunded", "refunded")


class OrderCounter(BaseModel):
    """The last order number used per prefix and year (`SKN-2025-001234`)."""

    scope = peewee.CharField(max_length=40, primary_key=True)
    value = peewee.BigIntegerField(default=0)


class Order(BaseModel):
    """An order. `cart` is unique, so a cart converts into at most one order.

    Money fields are minor units of `currency`; addresses and the shipping
    method are JSON snapshots taken at checkout.
    """

    id = PrefixedIdField("ord")
    order_number = peewee.CharField(max_length=50, unique=True)
    cart = peewee.ForeignKeyField(Cart, unique=True, null=True, on_delete="SET NULL")
    customer = peewee.ForeignKeyField(User, null=True, backref="orders", on_delete="SET NULL")
    customer_email = peewee.CharField(max_length=254)
    status = peewee.CharField(max_length=16, default="pending", index=True)
    payment_status = peewee.CharField(max_length=20, default="pending", index=True)  # 20: migration 0029
    payment_method = peewee.CharField(max_length=32)
    subtotal = peewee.IntegerField()
    tax = peewee.IntegerField(default=0)
    shipping = peewee.IntegerField(default=0)
    discount = peewee.IntegerField(default=0)
    total = peewee.IntegerField()
    currency = peewee.CharField(max_length=3)
    discount_code = peewee.CharField(max_length=50, null=True)
    shipping_address = JSONField()
    billing_address = JSONField()
    shipping_method = JSONField()
    estimated_delivery = peewee.DateField(null=True)
    delivery_date = peewee.DateField(null=True)  # the delivery day the customer booked (migration 0032)
    tracking_number = peewee.CharField(max_length=100, null=True)
    carrier = peewee.CharField(max_length=100, null=True)  # who ships it (migration 0028)
    notes = peewee.TextField(default="")
    stock_released = peewee.BooleanField(default=False)
    job_id = peewee.CharField(max_length=40, null=True, unique=True)
    client_ip = peewee.CharField(max_length=64, null=True)  # checkout request's client IP (migration 0003)
    # minor units paid from the customer's wallet (migration 0043): the total for a `wallet` order,
    # a part for a `stripe` order (the card pays total - wallet_amount), else 0
    wallet_amount = peewee.IntegerField(default=0, constraints=[peewee.SQL("DEFAULT 0")])
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    updated_at = peewee.DateTimeField(default=utcnow)


class OrderItem(BaseModel):
    """A line of an order, priced at checkout (minor units): `unit_price` is the variant's price
    (its wholesale price for a wholesale customer) plus the chosen customizations' prices;
    `customizations` is `[{"code", "label", "value", "price"}]` (migration 0019; also in
    `product_snapshot["customizations"]`).

    A line of a variant sold by weight (migration 0031) keeps `weight_grams` (grams per piece) and
    `price_per_kg` (minor units per kilogram charged, the wholesale one for a wholesale customer);
    its `quantity` counts pieces and `unit_price` is one piece's price (services.orders.pricing).
    Both are None for unit lines. The stock it took is `quantity x weight_grams` grams."""

    id = PrefixedIdField("oi")
    order = peewee.ForeignKeyField(Order, backref="items", on_delete="CASCADE")
    product_id = peewee.CharField(max_length=40)
    variant_id = peewee.CharField(max_length=40)
    quantity = peewee.IntegerField()
    unit_price = peewee.IntegerField()
    total_price = peewee.IntegerField()
    product_snapshot = JSONField()
    customizations = JSONField(default=list, constraints=[peewee.SQL("DEFAULT '[]'")])
    weight_grams = peewee.IntegerField(null=True)
    price_per_kg = peewee.IntegerField(null=True)
    source_video_id = peewee.CharField(max_length=40, null=True)  # copied from the cart line (migration 0038)
    # the store that sold it (product.store_id at checkout; null: the shop's own), migration 0044
    store_id = peewee.CharField(max_length=40, null=True, index=True)


FULFILLMENT_STATUSES = ("unfulfilled", "preparing", "shipped", "delivered")
"""A store's part of an order, in the order it moves (forward only); `cancelled` is shown, never stored."""


class OrderFulfillment(BaseModel):
    """The fulfilment of one store's lines of an order (migration 0044; like Shopify's fulfillment
    order per location): `store_key` is the store id, "" for the shop's own lines. A row exists
    once the store or staff first updated it (a group without one is `unfulfilled`);
    services.orders.store_fulfillment moves it and the order with it."""

    id = PrefixedIdField("ful")
    order = peewee.ForeignKeyField(Order, backref="fulfillments", on_delete="CASCADE")
    store_key = peewee.CharField(max_length=40)
    status = peewee.CharField(max_length=16, default="unfulfilled")
    carrier = peewee.CharField(max_length=100, null=True)
    tracking_number = peewee.CharField(max_length=100, null=True)
    shipped_at = peewee.DateTimeField(null=True)
    delivered_at = peewee.DateTimeField(null=True)
    updated_by = peewee.CharField(max_length=40, null=True)  # the user id of the last update
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("order", "store_key"), True),)


class OrderAllocation(BaseModel):
    """Units of one variant of an order taken from one warehouse (migration 0024): checkout
    allocates the order's lines to warehouses (services.orders.allocation) and a cancellation
    gives each unit back to the warehouse it came from. One shipment per warehouse;
    `estimated_delivery` is that shipment's (from the warehouse's estimate for the region)."""

    id = PrefixedIdField("oal")
    order = peewee.ForeignKeyField(Order, backref="allocations", on_delete="CASCADE")
    warehouse = peewee.ForeignKeyField(Warehouse, backref="allocations", on_delete="RESTRICT")
    variant_id = peewee.CharField(max_length=40)
    quantity = peewee.IntegerField(constraints=[peewee.Check("quantity > 0")])
    estimated_delivery = peewee.DateField(null=True)

    class Meta:
        indexes = ((("order", "warehouse", "variant_id"), True),)


class Payment(BaseModel):
    """One payment attempt chain of an order: `provider` cash_on_delivery, stripe or wallet.
    `amount` is the order's total, also when the wallet pays part of a card order
    (`Order.wallet_amount`; the PaymentIntent is for the rest).

    For Stripe, `provider_ref` is the PaymentIntent id (unique) and
    `client_secret` what the storefront confirms with.
    """

    id = PrefixedIdField("pay")
    order = peewee.ForeignKeyField(Order, backref="payments", on_delete="CASCADE", unique=True)
    provider = peewee.CharField(max_length=32)
    status = peewee.CharField(max_length=32, default="pending")
    amount = peewee.IntegerField()
    currency = peewee.CharField(max_length=3)
    provider_ref = peewee.CharField(max_length=100, null=True, unique=True)
    client_secret = peewee.CharField(max_length=255, null=True)
    last_error = peewee.TextField(null=True)
    card_fingerprint = peewee.CharField(max_length=128, null=True)  # Stripe card fingerprint (migration 0003)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)


class DiscountUse(BaseModel):
    """One use of a promotion code by an order (migration 0025): written by checkout under the
    code's usage limits (services.orders.promotions.record_use), deleted when the order is
    cancelled (the use is given back). `amount` is what the code took off (goods discount plus
    shipping waived, minor units). `order` is unique: one code per order."""

    id = PrefixedIdField("du")
    discount = peewee.ForeignKeyField(DiscountCode, backref="uses", on_delete="RESTRICT")
    order = peewee.ForeignKeyField(Order, unique=True, backref="discount_use", on_delete="CASCADE")
    customer = peewee.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    amount = peewee.IntegerField(default=0)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("discount", "customer"), False),)


TRACKING_EVENTS = ("placed", "confirmed", "on_hold", "packed", "shipped", "courier_assigned", "out_for_delivery",
                   "delivery_failed", "delivery_proof", "delivered", "cancelled", "paid", "refunded",
                   "dispute_closed", "fulfillment_updated")


class OrderEvent(BaseModel):
    """One step of an order's timeline (seed 001 tracking; migration 0028): `type` one of
    TRACKING_EVENTS, `actor` who did it (null: the system - checkout, payments, fraud) and their
    `actor_role` (customer, staff, admin, courier, system), `data` the step's details
    (`{"carrier", "trackingNumber"}` when shipped, `{"reason"}` for a failed delivery or a
    cancellation, `{"courierId"}` when assigned, `{"reason": "dispute", "disputeId"}` for a dispute's hold,
    `{"disputeId", "outcome"}` (Stripe's closed status: won, lost...) when a dispute closed)."""

    id = PrefixedIdField("oev")
    order = peewee.ForeignKeyField(Order, backref="events", on_delete="CASCADE")
    type = peewee.CharField(max_length=32)
    actor = peewee.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    actor_role = peewee.CharField(max_length=16, default="system")
    data = JSONField(default=dict)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("order", "created_at"), False),)


DELIVERY_STATUSES = ("assigned", "out_for_delivery", "delivered", "failed")


class OrderDelivery(BaseModel):
    """An order's local delivery by a courier (seed 003's livreur; migration 0028): assigned by
    staff, then out for delivery, delivered (with the actual time and, for cash on delivery, the
    cash collected in minor units) or a failed attempt (with its reason; staff may send it out
    again). One per order; reassigning changes `courier`."""

    id = PrefixedIdField("odl")
    order = peewee.ForeignKeyField(Order, unique=True, backref="delivery", on_delete="CASCADE")
    courier = peewee.ForeignKeyField(User, backref="deliveries", on_delete="RESTRICT")
    status = peewee.CharField(max_length=20, default="assigned", index=True)
    attempts = peewee.IntegerField(default=0)
    failure_reason = peewee.CharField(max_length=500, null=True)
    delivered_at = peewee.DateTimeField(null=True)
    cash_collected = peewee.IntegerField(null=True)
    assigned_by = peewee.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
    proof_photo = peewee.CharField(max_length=40, null=True)  # file name of the proof of delivery (migration 0035)


REFUND_STATUSES = ("pending", "requires_action", "succeeded", "failed", "canceled")  # Stripe's
LIVE_REFUND_STATUSES = ("pending", "requires_action", "succeeded")  # money given back, or on its way


class Refund(BaseModel):
    """Money given back on an order's payment (migration 0006).

    `provider_ref` is the provider's refund id (Stripe `re_...`, unique); `amount` is in
    minor units of `currency`; `status` is the provider's (REFUND_STATUSES); `reason` is
    why we refunded (`order_cancelled`, `payment_failed`, `fraud_blocked`,
    `fraud_rejected`, `paid_after_cancel`).
    """

    id = PrefixedIdField("rfd")
    order = peewee.ForeignKeyField(Order, backref="refunds", on_delete="CASCADE")
    payment = peewee.ForeignKeyField(Payment, backref="refunds", on_delete="CASCADE")
    provider_ref = peewee.CharField(max_length=100, null=True, unique=True)
    amount = peewee.IntegerField()
    currency = peewee.CharField(max_length=3)
    status = peewee.CharField(max_length=32)
    reason = peewee.CharField(max_length=200, default="")
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
    # migration 0029: "cancellation" (the whole payment of a cancelled order) or "manual" (staff,
    # full or partial), the order lines it refunds ([{"itemId", "quantity"}]), and who made it
    kind = peewee.CharField(max_length=16, default="cancellation")
    lines = JSONField(default=list)
    created_by = peewee.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    # migration 0043: money given back to the customer's wallet (provider_ref: the ledger line, wtx_...)
    to_wallet = peewee.BooleanField(default=False, constraints=[peewee.SQL("DEFAULT FALSE")])


class StripeEvent(BaseModel):
    """A received Stripe webhook event; the id primary key de-duplicates deliveries."""

    id = peewee.CharField(max_length=255, primary_key=True)
    type = peewee.CharField(max_length=100)
    payload = JSONField()
    job_id = peewee.CharField(max_length=40, null=True)
    received_at = peewee.DateTimeField(default=utcnow)
