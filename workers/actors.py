"""Imports every actor module so each declares its actors on the installed broker."""

from workers import checkout, fraud, fraud_train, imports, payments  # noqa: F401
