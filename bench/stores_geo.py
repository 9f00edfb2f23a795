"""Stores for the `stores_nearby` scenario (issue 11, seed 002): STORES stores scattered over a
city, written straight into the bench database with one bulk `INSERT ... SELECT FROM
generate_series` (as bench.large_shop writes its shop), then ANALYZE.

The stores sit uniformly in a SPREAD_KM x SPREAD_KM square centred on CENTRE (Berlin, Alexanderplatz),
each delivering 1 to 8 km around it (`delivery_radius_km`), so a point of the city is covered by
a few hundred of them and the nearby search's bounding box (services.content.nearby) reads a
small share of the 10,000. Positions are reproducible (`setseed`).
"""

from __future__ import annotations

import math
import time

STORES = 10_000
CENTRE = (52.5219, 13.4132)  # Berlin, Alexanderplatz (degrees)
SPREAD_KM = 30.0  # the side of the square the stores are scattered over
KM_PER_DEGREE_LAT = 111.2


def spread_degrees() -> tuple[float, float]:
    """(latitude, longitude) extent of the square in degrees."""
    return SPREAD_KM / KM_PER_DEGREE_LAT, SPREAD_KM / (KM_PER_DEGREE_LAT * math.cos(math.radians(CENTRE[0])))


def _insert(count: int) -> str:
    d_lat, d_lng = spread_degrees()
    return f"""
        INSERT INTO store (id, name, slug, description, created_at, updated_at, address, city, country,
                           latitude, longitude, delivery_radius_km, rating_sum, rating_count, cashback_bp,
                           discount_text, is_partner, opening_hours, delivery_time, minimum_order,
                           minimum_order_currency, is_active)
        SELECT 'store_bulk' || g, 'Bench Store ' || g, 'bench-store-' || g, '', now(), now(),
               'Strasse ' || (g % 97), 'Berlin', 'DE',
               {CENTRE[0]} + (random() - 0.5) * {d_lat}, {CENTRE[1]} + (random() - 0.5) * {d_lng},
               1 + (g % 8), 0, 0, CASE WHEN g % 4 = 0 THEN 500 ELSE 0 END, '', g % 4 = 0,
               '{{"monday":[{{"close":"20:00","open":"08:00"}}]}}', '30-45 mins', 0, NULL, TRUE
        FROM generate_series(1, {count}) AS g
    """


def seed_stores(database_url: str, count: int = STORES) -> dict:
    """Write `count` stores into the (migrated) database at `database_url`. Returns {"stores",
    "seconds"}. Raises psycopg2.Error when the statement fails (nothing is written)."""
    import psycopg2

    started = time.monotonic()
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT setseed(0.42)")
            cur.execute(_insert(count))
            cur.execute("ANALYZE store")
    finally:
        conn.close()
    return {"stores": count, "seconds": round(time.monotonic() - started, 1)}
