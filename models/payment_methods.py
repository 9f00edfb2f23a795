"""Saved payment methods (issue 10, seeds 000 and 001): each customer's Stripe Customer, the
cards attached to it, and the one-click checkout setting (seed 000 `oneClickCheckout`).

Card details stay at Stripe: a saved method keeps only Stripe's PaymentMethod id and what a
customer recognises a card by (brand, last 4 digits, expiry).
"""

from __future__ import annotations

import peewee

from models.db import BaseModel, PrefixedIdField, utcnow
from models.profiles import CustomerAddress
from models.users import User


class StripeCustomer(BaseModel):
    """A customer's Stripe Customer (`cus_...`), created once (fixed idempotency key)."""

    user = peewee.ForeignKeyField(User, primary_key=True, backref="+", on_delete="CASCADE")
    stripe_customer_id = peewee.CharField(max_length=100, unique=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "stripe_customer"


class SavedPaymentMethod(BaseModel):
    """A card a customer saved: a Stripe PaymentMethod (`pm_...`) attached to their Stripe
    Customer. At most one per customer is the default (services.payments.saved_methods keeps it so)."""

    id = PrefixedIdField("spm")
    user = peewee.ForeignKeyField(User, backref="payment_methods", on_delete="CASCADE")
    stripe_payment_method_id = peewee.CharField(max_length=100, unique=True)
    brand = peewee.CharField(max_length=32, null=True)
    last4 = peewee.CharField(max_length=4, null=True)
    exp_month = peewee.IntegerField(null=True)
    exp_year = peewee.IntegerField(null=True)
    fingerprint = peewee.CharField(max_length=128, null=True)
    is_default = peewee.BooleanField(default=False)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "saved_payment_method"


class OneClickCheckout(BaseModel):
    """A customer's one-click checkout (seed 000): the saved method and address it buys with,
    and the hash (SHA-256, hex) of the security token a one-click purchase must present. The
    token is bound to the customer, the method and the address: changing either issues a new one."""

    user = peewee.ForeignKeyField(User, primary_key=True, backref="+", on_delete="CASCADE")
    enabled = peewee.BooleanField(default=True)
    payment_method = peewee.ForeignKeyField(SavedPaymentMethod, null=True, backref="+", on_delete="SET NULL")
    address = peewee.ForeignKeyField(CustomerAddress, null=True, backref="+", on_delete="SET NULL")
    token_hash = peewee.CharField(max_length=64)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "one_click_checkout"
