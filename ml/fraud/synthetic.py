"""SYNTHETIC labelled order history for the fraud demo and tests. Not real data.

`generate(customers, days, seed)` returns plain dicts (users, orders with a
payment and labels) that services.fraud.generate_demo_history writes to the
database. Everything is random from `seed` (deterministic), with planted
fraud patterns a shop's fraud team would recognise:

- legitimate customers: an account (or guest checkout), a home country, city,
  address, IP addresses of that country (drawn with the same geoip2fast data
  the features use), one or two cards, order amounts log-normal around the
  customer's own typical basket, mostly daytime; with realistic noise
  (travel IPs, gifts to other addresses, the odd disposable email);
- card testing bursts: a fresh guest, often a disposable email, one foreign
  IP, several cards in under an hour, failed payments then a success,
  shipped to a drop address, at night;
- account takeover: an old account suddenly using a new card, a new address in
  another country and a foreign IP, for several times its usual basket;
- reshipping mules: different new emails and cards shipping to one address
  within days;
- label noise: a few ordinary-looking orders labelled fraud (friendly fraud).

Fraud orders that were charged get a label (chargeback 80%, refund 10%,
admin rejection 10%); failed attempts stay unlabelled, as in a real shop.
Money is in minor units (USD cents).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import random

from ml.fraud import geo

COUNTRIES = {
    "US": ["New York City", "Chicago", "Houston", "Seattle"],
    "GB": ["London", "Manchester", "Leeds"],
    "DE": ["Berlin", "Munich", "Hamburg"],
    "FR": ["Paris", "Lyon", "Marseille"],
    "JO": ["Amman", "Irbid", "Zarqa"],
    "NL": ["Amsterdam", "Rotterdam"],
}
FRAUD_IP_COUNTRIES = ["RU", "NG", "VN", "BR", "CN", "UA"]
EMAIL_DOMAINS = ["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "hotmail.com"]
DISPOSABLE_DOMAINS = ["mailinator.com", "guerrillamail.com", "10minutemail.com", "yopmail.com", "trashmail.com"]
LABEL_SOURCES = (["chargeback"] * 8) + ["refund", "admin_rejection"]


# /16 networks that geoip2fast's bundled data places (almost) entirely in each country.
NETWORKS = {
    "US": ["35.32", "131.55", "52.167", "97.150"], "GB": ["194.128", "86.168", "25.245", "138.37"],
    "DE": ["53.219", "77.2", "79.228", "80.226"], "FR": ["77.153", "131.254", "2.10", "212.234"],
    "JO": ["176.29"], "NL": ["137.17", "82.161", "37.74", "145.94"],
    "RU": ["93.100", "188.162", "178.129", "95.52"], "CN": ["183.150", "182.150", "119.132", "123.163"],
    "UA": ["176.39", "37.115", "46.98", "176.36"], "NG": ["102.93", "102.92", "160.152", "105.117"],
    "BR": ["18.231", "201.9", "181.218", "206.43"], "VN": ["123.24", "123.18", "14.162", "118.70"],
}


@functools.lru_cache(maxsize=4)
def ip_pools(seed: int = 7, per_country: int = 60) -> dict[str, list[str]]:
    """Public IPv4 addresses per country: random hosts of NETWORKS kept only when
    ml.fraud.geo agrees on the country (so the features see the country planted)."""
    rng = random.Random(seed)
    pools: dict[str, list[str]] = {}
    for country, networks in NETWORKS.items():
        found = []
        for _ in range(per_country * 4):
            ip = f"{rng.choice(networks)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            if geo.ip_country(ip) == country:
                found.append(ip)
            if len(found) >= per_country:
                break
        if found:
            pools[country] = found
    return pools


def _card(rng: random.Random) -> str:
    return "fp_syn_" + hashlib.sha256(str(rng.random()).encode()).hexdigest()[:24]


def _address(rng: random.Random, country: str, city: str | None = None) -> dict:
    return {"country": country, "city": city or rng.choice(COUNTRIES.get(country, ["Capital"])),
            "street": f"{rng.randint(1, 999)} {rng.choice(['Main', 'High', 'Park', 'Oak', 'Mill', 'Queen'])} Street",
            "postalCode": f"{rng.randint(10000, 99999)}", "firstName": "Synthetic", "lastName": "Customer"}


def generate(customers: int = 400, days: int = 120, seed: int = 0, end: dt.datetime | None = None) -> dict:
    """A synthetic history ending at `end` (default: today 00:00 UTC, so a seed gives the same history
    up to a shift of whole days) over `days` days.

    Returns {"users": [{"key", "email", "created_at"}], "orders": [{"key",
    "user_key" | None, "email", "created_at", "amount" (minor units),
    "quantity", "payment_method", "payment_failed", "shipping_address",
    "billing_address", "client_ip", "card_fingerprint", "is_fraud",
    "label_source" | None, "pattern"}]}. Keys are local references, not ids.
    """
    rng = random.Random(seed)
    end = end or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    start = end - dt.timedelta(days=days)
    pools = ip_pools()
    home_countries = [c for c in COUNTRIES if c in pools] or list(COUNTRIES)
    users, orders = [], []

    def at(day_offset: float, night: bool = False) -> dt.datetime:
        base = start + dt.timedelta(days=day_offset)
        hour = rng.choice([0, 1, 2, 3, 4, 5]) if night else min(23, max(7, int(rng.gauss(15, 4))))
        return base.replace(hour=hour, minute=rng.randint(0, 59), second=rng.randint(0, 59))

    def ip_of(country: str) -> str | None:
        pool = pools.get(country)
        return rng.choice(pool) if pool else None

    profiles = []
    for i in range(customers):
        country = rng.choice(home_countries)
        city = rng.choice(COUNTRIES[country])
        guest = rng.random() < 0.25
        domain = rng.choice(DISPOSABLE_DOMAINS) if rng.random() < 0.01 else rng.choice(EMAIL_DOMAINS)
        email = f"synthetic.customer{i}.{seed}@{domain}"
        profile = {"key": f"u{i}", "email": email, "country": country, "home": _address(rng, country, city),
                   "ips": [ip_of(country) for _ in range(2)], "cards": [_card(rng) for _ in range(rng.choice([1, 1, 2]))],
                   "basket": rng.uniform(2500, 15000), "guest": guest,
                   "rate": rng.uniform(0.3, 2.0) / 30.0}
        if not guest:
            users.append({"key": profile["key"], "email": email,
                          "created_at": start - dt.timedelta(days=rng.uniform(5, 900))})
        profiles.append(profile)

    def order(profile_or_none, **fields):
        row = {"key": f"o{len(orders)}", "user_key": None, "quantity": rng.randint(1, 4),
               "payment_method": "stripe", "payment_failed": False, "is_fraud": False, "label_source": None,
               "pattern": "legitimate"}
        if profile_or_none is not None and not profile_or_none["guest"]:
            row["user_key"] = profile_or_none["key"]
        row.update(fields)
        row.setdefault("billing_address", row["shipping_address"])
        orders.append(row)
        return row

    for p in profiles:  # legitimate history
        n = max(1, int(rng.expovariate(1 / max(0.5, p["rate"] * days))))
        for _ in range(min(n, 12)):
            t = at(rng.uniform(0, days))
            ship = p["home"]
            billing = None
            if rng.random() < 0.05:  # a gift to someone else
                ship = _address(rng, p["country"] if rng.random() < 0.7 else rng.choice(home_countries))
                billing = p["home"]
            ip = ip_of(rng.choice(home_countries)) if rng.random() < 0.05 else rng.choice(p["ips"])
            order(p, email=p["email"], created_at=t, amount=int(max(500, rng.lognormvariate(0, 0.5) * p["basket"])),
                  payment_method="cash_on_delivery" if rng.random() < 0.1 else "stripe",
                  payment_failed=rng.random() < 0.02, shipping_address=ship,
                  **({"billing_address": billing} if billing else {}), client_ip=ip,
                  card_fingerprint=rng.choice(p["cards"]))

    n_fraud_events = max(6, customers // 5)
    drops = [_address(rng, rng.choice(home_countries)) for _ in range(max(3, customers // 60))]
    for k in range(n_fraud_events):
        pattern = rng.choice(["card_testing", "card_testing", "account_takeover", "reshipping", "friendly"])
        t0 = rng.uniform(0, days - 1)
        label = rng.choice(LABEL_SOURCES)
        if pattern == "card_testing":
            domain = rng.choice(DISPOSABLE_DOMAINS) if rng.random() < 0.6 else rng.choice(EMAIL_DOMAINS)
            email = f"synthetic.burst{k}.{seed}@{domain}"
            ip = ip_of(rng.choice(FRAUD_IP_COUNTRIES))
            drop = rng.choice(drops)
            base = at(t0, night=rng.random() < 0.7)
            attempts = rng.randint(3, 7)
            for a in range(attempts):
                last = a == attempts - 1
                order(None, email=email, created_at=base + dt.timedelta(minutes=4 * a + rng.randint(0, 3)),
                      amount=int(rng.uniform(15000, 60000)), shipping_address=drop,
                      billing_address=_address(rng, rng.choice(home_countries)), client_ip=ip,
                      card_fingerprint=_card(rng), payment_failed=not last, is_fraud=last,
                      label_source=label if last else None, pattern=pattern)
        elif pattern == "account_takeover":
            victims = [p for p in profiles if not p["guest"]]
            p = rng.choice(victims)
            country = rng.choice([c for c in home_countries if c != p["country"]])
            order(p, email=p["email"], created_at=at(t0, night=rng.random() < 0.5),
                  amount=int(p["basket"] * rng.uniform(4, 10)), shipping_address=_address(rng, country),
                  billing_address=p["home"], client_ip=ip_of(rng.choice(FRAUD_IP_COUNTRIES)),
                  card_fingerprint=_card(rng), is_fraud=True, label_source=label, pattern=pattern)
        elif pattern == "reshipping":
            drop = rng.choice(drops)
            for m in range(rng.randint(2, 4)):
                email = f"synthetic.mule{k}x{m}.{seed}@{rng.choice(EMAIL_DOMAINS + DISPOSABLE_DOMAINS)}"
                country = rng.choice(home_countries)
                order(None, email=email, created_at=at(t0 + rng.uniform(0, 3)),
                      amount=int(rng.uniform(8000, 40000)), shipping_address=drop,
                      billing_address=_address(rng, country), client_ip=ip_of(rng.choice(FRAUD_IP_COUNTRIES + [country])),
                      card_fingerprint=_card(rng), is_fraud=True, label_source=label, pattern=pattern)
        else:  # friendly fraud: looks ordinary
            p = rng.choice(profiles)
            order(p, email=p["email"], created_at=at(t0), amount=int(p["basket"] * rng.uniform(0.7, 1.5)),
                  shipping_address=p["home"], client_ip=rng.choice(p["ips"]), card_fingerprint=rng.choice(p["cards"]),
                  is_fraud=True, label_source=label, pattern=pattern)
    for row in orders:
        if row["payment_method"] == "cash_on_delivery":
            row["card_fingerprint"] = None
    orders.sort(key=lambda r: r["created_at"])
    return {"users": users, "orders": orders}
