"""Imports every actor module so each declares its actors on the installed broker."""

from workers import (checkout, fraud, fraud_train, imports, maintenance, notifications,  # noqa: F401
                     payments, recommendations, wishlists)
