"""Fraud features: ONE function, `compute_features`, used by training and by scoring.

Both paths describe orders as `OrderFacts` (built from the database by
services.fraud) and put every earlier order they know about into a
`History`; `compute_features(target, history)` then only looks at orders
strictly before the target's `created_at`, so a feature never sees the future
and an order scored at checkout gets the same values it gets later in a
training set (a test compares both paths).

Features (FEATURES gives the column order; None/NaN means unknown, which
HistGradientBoosting handles natively):

- amount: order total in minor units; amount_vs_customer_mean: amount divided
  by the mean total of the customer's earlier orders; customer_order_count,
  is_new_customer (no earlier order by this customer/email).
- account_age_days: days from account creation to the order (None for guests);
  is_guest.
- Velocity: orders_{email,ip,card,address}_{1h,24h,7d} = earlier orders sharing
  the key inside the window; failed_payments_{email,ip,card,address}_{1h,24h,7d}
  = those whose payment failed.
- billing_shipping_country_mismatch, ip_shipping_country_mismatch,
  ip_billing_country_mismatch (None when the IP country is unknown),
  address_distance_km (billing vs shipping city, ml.fraud.geo; None if unknown).
- is_disposable_email: the email's domain (or a parent domain) is in the
  `disposable-email-domains` package's blocklist and not in its allowlist.
- is_new_payment_method: a card fingerprint never used by this customer
  before (None without a card); distinct_cards_customer: distinct card
  fingerprints over the customer's orders including this one.
- hour_of_day (UTC, 0-23); item_quantity; is_cash_on_delivery.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import math
import re
from dataclasses import dataclass, field

WINDOWS = {"1h": dt.timedelta(hours=1), "24h": dt.timedelta(hours=24), "7d": dt.timedelta(days=7)}
VELOCITY_KEYS = ("email", "ip", "card", "address")
MAX_WINDOW = max(WINDOWS.values())

FEATURES = [
    "amount", "amount_vs_customer_mean", "customer_order_count", "is_new_customer",
    "account_age_days", "is_guest",
    *[f"orders_{key}_{w}" for key in VELOCITY_KEYS for w in WINDOWS],
    *[f"failed_payments_{key}_{w}" for key in VELOCITY_KEYS for w in WINDOWS],
    "billing_shipping_country_mismatch", "ip_shipping_country_mismatch", "ip_billing_country_mismatch",
    "address_distance_km", "is_disposable_email", "is_new_payment_method", "distinct_cards_customer",
    "hour_of_day", "item_quantity", "is_cash_on_delivery",
]
"""Model input columns, in order (their list's sha256 is the registry's schema hash)."""


@dataclass
class OrderFacts:
    """What the features need to know about one order.

    `amount` in minor units; times naive UTC; `customer_key` the customer id,
    or `email:<normalised email>` for guests; `shipping_key` a hash of the
    normalised shipping address (see `address_key`); countries ISO alpha-2.
    `payment_failed` True when the order's payment failed.
    """

    order_id: str
    created_at: dt.datetime
    amount: int
    customer_key: str
    email: str
    email_domain: str
    client_ip: str | None = None
    ip_country: str | None = None
    card_fingerprint: str | None = None
    shipping_key: str = ""
    shipping_country: str | None = None
    billing_country: str | None = None
    payment_failed: bool = False
    payment_method: str = "stripe"
    item_quantity: int = 1
    account_created_at: dt.datetime | None = None
    address_distance_km: float | None = None


@dataclass
class History:
    """Earlier orders indexed by key, each list sorted by time (build with `add`, then `freeze`)."""

    by_key: dict = field(default_factory=dict)
    _times: dict = field(default_factory=dict)
    _frozen: bool = False

    def add(self, facts: OrderFacts) -> None:
        """Index one order under its email, IP, card, address and customer keys."""
        for kind, value in _keys(facts):
            self.by_key.setdefault((kind, value), []).append(facts)
        self._frozen = False

    def freeze(self) -> "History":
        """Sort every key's orders by (created_at, order_id); returns self."""
        for key, rows in self.by_key.items():
            rows.sort(key=lambda f: (f.created_at, f.order_id))
            self._times[key] = [f.created_at for f in rows]
        self._frozen = True
        return self

    def earlier(self, kind: str, value, before: dt.datetime, since: dt.datetime | None = None) -> list[OrderFacts]:
        """Orders with key (kind, value) created in [since, before) (all earlier ones when since is None)."""
        if value in (None, ""):
            return []
        if not self._frozen:
            self.freeze()
        rows = self.by_key.get((kind, value), [])
        times = self._times.get((kind, value), [])
        hi = bisect.bisect_left(times, before)
        lo = 0 if since is None else bisect.bisect_left(times, since)
        return rows[lo:hi]


def _keys(facts: OrderFacts):
    yield "email", facts.email
    if facts.client_ip:
        yield "ip", facts.client_ip
    if facts.card_fingerprint:
        yield "card", facts.card_fingerprint
    if facts.shipping_key:
        yield "address", facts.shipping_key
    yield "customer", facts.customer_key


def _key_value(facts: OrderFacts, kind: str):
    return {"email": facts.email, "ip": facts.client_ip, "card": facts.card_fingerprint,
            "address": facts.shipping_key, "customer": facts.customer_key}[kind]


def compute_features(target: OrderFacts, history: History) -> dict:
    """The feature dict {name: float | None} of `target`, from the orders in `history`
    created strictly before it (the target itself may be in `history`; it is skipped)."""
    t = target.created_at
    out: dict[str, float | None] = {}
    past = [f for f in history.earlier("customer", target.customer_key, t) if f.order_id != target.order_id]
    out["amount"] = float(target.amount)
    amounts = [f.amount for f in past]
    mean = sum(amounts) / len(amounts) if amounts else None
    out["amount_vs_customer_mean"] = round(target.amount / mean, 4) if mean else None
    out["customer_order_count"] = float(len(past))
    out["is_new_customer"] = 0.0 if past else 1.0
    if target.account_created_at is not None:
        out["account_age_days"] = round(max(0.0, (t - target.account_created_at).total_seconds() / 86400), 3)
    else:
        out["account_age_days"] = None
    out["is_guest"] = 1.0 if target.account_created_at is None else 0.0
    for kind in VELOCITY_KEYS:
        value = _key_value(target, kind)
        recent = [f for f in history.earlier(kind, value, t, t - MAX_WINDOW) if f.order_id != target.order_id]
        for name, width in WINDOWS.items():
            inside = [f for f in recent if f.created_at >= t - width]
            known = value not in (None, "")
            out[f"orders_{kind}_{name}"] = float(len(inside)) if known else None
            out[f"failed_payments_{kind}_{name}"] = float(sum(f.payment_failed for f in inside)) if known else None
    out["billing_shipping_country_mismatch"] = _mismatch(target.billing_country, target.shipping_country)
    out["ip_shipping_country_mismatch"] = _mismatch(target.ip_country, target.shipping_country)
    out["ip_billing_country_mismatch"] = _mismatch(target.ip_country, target.billing_country)
    out["address_distance_km"] = target.address_distance_km
    out["is_disposable_email"] = 1.0 if is_disposable_domain(target.email_domain) else 0.0
    cards = {f.card_fingerprint for f in past if f.card_fingerprint}
    if target.card_fingerprint:
        out["is_new_payment_method"] = 0.0 if target.card_fingerprint in cards else 1.0
        cards.add(target.card_fingerprint)
    else:
        out["is_new_payment_method"] = None
    out["distinct_cards_customer"] = float(len(cards))
    out["hour_of_day"] = float(t.hour)
    out["item_quantity"] = float(target.item_quantity)
    out["is_cash_on_delivery"] = 1.0 if target.payment_method == "cash_on_delivery" else 0.0
    return out


def feature_matrix(rows: list[dict], features: list[str] | None = None):
    """A float64 numpy array (n, len(features)) of feature dicts; None -> NaN."""
    import numpy as np

    names = features or FEATURES
    return np.array([[math.nan if r.get(n) is None else float(r[n]) for n in names] for r in rows],
                    dtype=np.float64).reshape(len(rows), len(names))


def _mismatch(a: str | None, b: str | None) -> float | None:
    if not a or not b:
        return None
    return 0.0 if a.upper() == b.upper() else 1.0


# -- normalisation shared by the loaders ---------------------------------------------------------

_PLUS = re.compile(r"\+.*$")


def normalise_email(email: str) -> tuple[str, str]:
    """(normalised email, domain): lower-cased, `+tag` removed from the local part."""
    email = (email or "").strip().lower()
    local, _, domain = email.rpartition("@")
    if not local:
        return email, ""
    return f"{_PLUS.sub('', local)}@{domain}", domain


def address_key(address: dict | None) -> str:
    """sha256 hex of the address's street, building, apartment, city, postal code and country,
    lower-cased with punctuation and repeated spaces removed ("" without an address)."""
    if not address:
        return ""
    parts = []
    for name in ("street", "building", "apartment", "city", "postalCode", "country"):
        value = str(address.get(name) or "").lower()
        parts.append(" ".join(re.sub(r"[^\w\s]", " ", value).split()))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def is_disposable_domain(domain: str) -> bool:
    """True when `domain` or a parent domain is on the disposable-email-domains blocklist
    (and not on its allowlist)."""
    from disposable_email_domains import allowlist, blocklist

    domain = (domain or "").lower().strip(".")
    if not domain or domain in allowlist:
        return False
    labels = domain.split(".")
    return any(".".join(labels[i:]) in blocklist for i in range(len(labels) - 1))
