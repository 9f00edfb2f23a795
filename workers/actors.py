"""Imports every queue's actor module, so each declares its actors on the installed broker."""

from workers import bulk, checkout, fraud, maintenance, ml, notifications, payments  # noqa: F401

QUEUE_MODULES = {"checkout": checkout, "payments": payments, "fraud": fraud, "notifications": notifications,
                 "ml": ml, "bulk": bulk, "maintenance": maintenance}
