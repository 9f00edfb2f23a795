"""Compatibility: `client_ip` moved to web.request_info (the fraud views are web.fraud_rules,
web.fraud_reviews, web.fraud_assessments and web.fraud_models; the `fraud demo-history`
command is in web.cli). Kept until web.orders imports `client_ip` from web.request_info."""

from web.request_info import client_ip

__all__ = ["client_ip"]
