"""Saved payment methods (issue 10): `stripe_customer`, `saved_payment_method` and
`one_click_checkout` tables, and `cart.source` (storefront | one_click: a one-click purchase's
cart is never the customer's cart)."""

import peewee

from models.migrations.helpers import add_column_if_missing
from models.payment_methods import OneClickCheckout, SavedPaymentMethod, StripeCustomer


def migrate(database, migrator):
    database.create_tables([StripeCustomer, SavedPaymentMethod, OneClickCheckout], safe=True)
    add_column_if_missing(database, migrator, "cart", "source", peewee.CharField(
        max_length=16, default="storefront", constraints=[peewee.SQL("DEFAULT 'storefront'")]))
