"""Stores near a point: great-circle distances and the bounding box that keeps the search on the
indexed `(latitude, longitude)` columns.

Distance: the haversine formula on a sphere of radius EARTH_RADIUS_KM, the mean earth radius
R1 = (2a + b) / 3 of the WGS 84 ellipsoid (Moritz, "Geodetic Reference System 1980", Journal of
Geodesy 74 (2000), and the IUGG's recommended mean radius); the formula is R. W. Sinnott,
"Virtues of the Haversine", Sky and Telescope 68 (2), 1984, p. 159. Its error against the
ellipsoid is below 0.5 %.

Bounding box: J. P. Matuschek, "Finding Points Within a Distance of a Latitude/Longitude Using
Bounding Coordinates" (2010, http://janmatuschek.de/LatitudeLongitudeBoundingCoordinates): for
an angular radius r = d / R around (lat, lng), latitudes lat +- r, and longitudes lng +- dlng with
dlng = asin(sin r / cos lat). When the box reaches a pole (lat + r > 90 deg or lat - r < -90 deg)
every longitude is in it; when it crosses the antimeridian (lng +- dlng beyond +-180 deg) it is
two longitude ranges, one each side. Every point within d is inside the box; the exact
haversine distance then keeps only those within d.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import peewee

from models.catalog import Store

EARTH_RADIUS_KM = 6371.0088


class Box(NamedTuple):
    """Latitude range and one or two longitude ranges, degrees (inclusive)."""

    min_lat: float
    max_lat: float
    lng_ranges: tuple[tuple[float, float], ...]


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in km between two points given in degrees (module docstring)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lng: float, distance_km: float) -> Box:
    """The box holding every point within `distance_km` of (lat, lng) (degrees), with the pole
    and antimeridian cases of the module docstring."""
    r = distance_km / EARTH_RADIUS_KM
    lat_r, lng_r = math.radians(lat), math.radians(lng)
    min_lat, max_lat = lat_r - r, lat_r + r
    if r >= math.pi or min_lat <= -math.pi / 2 or max_lat >= math.pi / 2:  # a pole is inside
        return Box(math.degrees(max(min_lat, -math.pi / 2)), math.degrees(min(max_lat, math.pi / 2)),
                   ((-180.0, 180.0),))
    d_lng = math.asin(min(1.0, math.sin(r) / math.cos(lat_r)))
    min_lng, max_lng = math.degrees(lng_r - d_lng), math.degrees(lng_r + d_lng)
    lat_range = (math.degrees(min_lat), math.degrees(max_lat))
    if min_lng < -180.0:
        return Box(*lat_range, ((min_lng + 360.0, 180.0), (-180.0, max_lng)))
    if max_lng > 180.0:
        return Box(*lat_range, ((min_lng, 180.0), (-180.0, max_lng - 360.0)))
    return Box(*lat_range, ((min_lng, max_lng),))


def _box_condition(box: Box) -> peewee.Expression:
    """SQL: the store's coordinates inside `box`."""
    lng = None
    for low, high in box.lng_ranges:
        part = (Store.longitude >= low) & (Store.longitude <= high)
        lng = part if lng is None else (lng | part)
    return (Store.latitude >= box.min_lat) & (Store.latitude <= box.max_lat) & lng


def nearby_stores(lat: float, lng: float, radius_km: float | None, page: int, limit: int) -> tuple[list, int]:
    """Active stores that deliver to (lat, lng) (degrees): their own `delivery_radius_km` covers the
    point, and, with `radius_km`, they are within `radius_km` km of it. Nearest first (ties by id).
    Returns ([(Store, distance km)] of the page, total).

    The search reads only the stores inside the bounding box of the largest distance that can
    match (`radius_km`, capped by the largest delivery radius of any active store) through the
    `(latitude, longitude)` index, with their coordinates and radius only; the exact haversine
    distance decides, and the page's rows are then read whole."""
    active = Store.is_active == True  # noqa: E712 - peewee SQL
    widest = Store.select(peewee.fn.MAX(Store.delivery_radius_km)).where(active, Store.latitude.is_null(False)).scalar()
    if not widest:
        return [], 0
    reach = min(widest, radius_km) if radius_km is not None else widest
    box = bounding_box(lat, lng, reach)
    rows = (Store.select(Store.id, Store.latitude, Store.longitude, Store.delivery_radius_km)
            .where(active, _box_condition(box)).tuples())
    found = []
    for store_id, store_lat, store_lng, store_radius in rows.iterator():
        distance = haversine_km(lat, lng, store_lat, store_lng)
        if distance <= store_radius and distance <= reach:
            found.append((distance, store_id))
    found.sort()
    chosen = found[(page - 1) * limit:page * limit]
    stores = {s.id: s for s in Store.select().where(Store.id.in_([sid for _, sid in chosen]))} if chosen else {}
    return [(stores[sid], distance) for distance, sid in chosen if sid in stores], len(found)

