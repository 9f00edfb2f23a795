"""Fraud signals: each order's normalised keys (FraudSignal) that velocity features match on.

`ensure_signals` stores the missing rows (email, global client IP and its country, card
fingerprint, shipping address key, countries); `set_card_fingerprint` fills in the card once
Stripe reports it.
"""

from __future__ import annotations

import ipaddress

import peewee

from ml.fraud import geo
from ml.fraud.features import address_key, normalise_email
from models.db import atomic
from models.fraud import FraudSignal
from models.orders import Order, Payment


def _country(address: dict | None) -> str | None:
    value = (address or {}).get("country")
    return value.upper()[:2] if isinstance(value, str) and len(value) == 2 else None


def _public_ip(ip: str | None) -> str | None:
    """`ip` when it is a global address; private, loopback and malformed ones identify nobody
    (every request through a misconfigured proxy would share them), so they are not velocity keys."""
    try:
        return ip if ip and ipaddress.ip_address(ip).is_global else None
    except ValueError:
        return None


def _signal_row(order: Order, card_fingerprint: str | None) -> dict:
    email, domain = normalise_email(order.customer_email)
    client_ip = _public_ip(order.client_ip)
    return {"order": order.id, "created_at": order.created_at, "customer_id": order.customer_id, "email": email,
            "email_domain": domain, "client_ip": client_ip, "ip_country": geo.ip_country(client_ip),
            "card_fingerprint": card_fingerprint, "shipping_key": address_key(order.shipping_address),
            "shipping_country": _country(order.shipping_address), "billing_country": _country(order.billing_address)}


def ensure_signals(order_ids: list[str] | None = None, batch: int = 500) -> int:
    """Create the missing FraudSignal rows of `order_ids` (all orders when None).
    Returns how many were created. Safe to run concurrently (conflicts are ignored)."""
    created = 0
    query = (Order.select(Order, Payment.card_fingerprint.alias("card_fp"))
             .join(Payment, peewee.JOIN.LEFT_OUTER, on=(Payment.order == Order.id))
             .join(FraudSignal, peewee.JOIN.LEFT_OUTER, on=(FraudSignal.order == Order.id))
             .where(FraudSignal.order.is_null()))
    if order_ids is not None:
        query = query.where(Order.id.in_(order_ids))
    rows = [_signal_row(o, getattr(o, "card_fp", None)) for o in query.objects()]
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        with atomic():
            created += FraudSignal.insert_many(chunk).on_conflict_ignore().as_rowcount().execute() or 0
    return created


def set_card_fingerprint(order_id: str, fingerprint: str) -> None:
    """Record the card fingerprint on the order's Payment and its FraudSignal."""
    with atomic():
        Payment.update(card_fingerprint=fingerprint).where(Payment.order == order_id).execute()
        FraudSignal.update(card_fingerprint=fingerprint).where(FraudSignal.order == order_id).execute()
